// Spoken prompts (files made by scripts/make-prompts.sh into public/prompts/). The candidate screens
// play a step's prompt when the step starts (`promptsFor`, from CandidateApp), except the digits
// step: there the Liveness screen speaks the digits once per challenge during the lead-in (the
// `leadIn` phase of `kiosk://camera-frame`, before the clip starts), and once the phase is
// `recording` nothing plays at all (`PromptPlayer.setRecording`). Staff can mute them from the
// console; muted, nothing plays either.

import type { Locale, View } from './types';

export type PromptName =
  | 'consent'
  | 'idCard'
  | 'liveness'
  | 'photo'
  | 'pledge'
  | 'signature'
  | 'confirmed'
  | 'staff'
  | 'retry'
  | 'ended'
  | 'idle'
  | `digit-${number}`;

export const PROMPT_NAMES: PromptName[] = [
  'consent',
  'idCard',
  'liveness',
  'photo',
  'pledge',
  'signature',
  'confirmed',
  'staff',
  'retry',
  'ended',
  'idle',
];

export function promptUrl(locale: Locale, name: PromptName): string {
  return `./prompts/${locale}/${name}.ogg`;
}

export function digitPrompts(digits: string): PromptName[] {
  return [...digits].filter((c) => c >= '0' && c <= '9').map((c) => `digit-${c}` as PromptName);
}

/**
 * What to say when the view changes from `prev` to `next` (null: nothing new to say). Pure, so the
 * choice is tested without audio. The digits step has no prompt of its own here: its digits are
 * spoken by the Liveness screen during the lead-in, which only the camera frames announce, and
 * while the clip records `PromptPlayer` refuses whatever this returns.
 */
export function promptsFor(prev: View | null, next: View | null): PromptName[] | null {
  if (!next) return null;
  if (next.phase === 'confirmed') return prev?.phase === 'confirmed' ? null : ['confirmed'];
  if (next.phase === 'ended') return prev?.phase === 'ended' ? null : ['ended'];
  if (next.awaitingStaff) return prev?.awaitingStaff && prev.step === next.step ? null : ['staff'];
  if (next.idleWarningSecs !== null && prev?.idleWarningSecs == null) return ['idle'];

  const sameStep = prev !== null && prev.phase === next.phase && prev.step === next.step && !prev.awaitingStaff;
  if (next.lastReason && (!sameStep || prev?.lastReason?.code !== next.lastReason.code || prev.attempt !== next.attempt)) {
    return ['retry'];
  }
  // The view does not say when the clip records (the camera frames do): the kiosk's own voice
  // would count as the candidate's speech (and could read the digits for a replayed video), so
  // the view alone never speaks on the digits step.
  if (next.step === 'liveness') return null;
  if (sameStep) return null;
  switch (next.step) {
    case 'consent':
    case 'idCard':
    case 'photo':
    case 'pledge':
    case 'signature':
      return [next.step];
    default:
      return null;
  }
}

export interface AudioElementLike {
  src: string;
  play(): Promise<void>;
  pause(): void;
  onended: ((this: unknown, ev: Event) => unknown) | null;
  onerror: unknown;
}

const MUTE_KEY = 'zk.prompts.muted';

export class PromptPlayer {
  private generation = 0;
  private playing: AudioElementLike | null = null;
  private listeners = new Set<(muted: boolean) => void>();
  private recording = false;

  constructor(
    private readonly makeAudio: () => AudioElementLike = () => new Audio() as unknown as AudioElementLike,
    private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null = typeof localStorage === 'undefined'
      ? null
      : localStorage,
  ) {}

  get muted(): boolean {
    return this.storage?.getItem(MUTE_KEY) === '1';
  }

  setMuted(muted: boolean): void {
    this.storage?.setItem(MUTE_KEY, muted ? '1' : '0');
    if (muted) this.stop();
    this.listeners.forEach((listener) => listener(muted));
  }

  onMutedChange(listener: (muted: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * While the clip records nothing plays, whoever asks: what plays stops, and `play` does nothing
   * until the recording is over.
   */
  setRecording(recording: boolean): void {
    this.recording = recording;
    if (recording) this.stop();
  }

  get isRecording(): boolean {
    return this.recording;
  }

  stop(): void {
    this.generation += 1;
    this.playing?.pause();
    this.playing = null;
  }

  /** Plays the prompts in order, replacing whatever was playing. Resolves when done or replaced. */
  async play(locale: Locale, names: PromptName[], gapMs = 120): Promise<void> {
    this.stop();
    if (this.muted || this.recording || names.length === 0) return;
    const generation = this.generation;
    for (const name of names) {
      if (generation !== this.generation) return;
      await this.playOne(promptUrl(locale, name));
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  }

  /** Plays one file; a missing `.ogg` is tried as `.wav` (make-prompts.sh writes WAV when its sox has no Vorbis). */
  private playOne(url: string, generation = this.generation): Promise<void> {
    return new Promise<boolean>((resolve) => {
      const audio = this.makeAudio();
      this.playing = audio;
      audio.onended = () => resolve(true);
      audio.onerror = () => resolve(false);
      audio.src = url;
      // Autoplay refused or no audio device: a prompt is a help, never a blocker.
      audio.play().catch((error: unknown) => resolve((error as { name?: string } | null)?.name !== 'NotSupportedError'));
    }).then((played) => {
      if (!played && url.endsWith('.ogg') && generation === this.generation) return this.playOne(url.replace(/\.ogg$/, '.wav'), generation);
      return undefined;
    });
  }
}

export const prompts = new PromptPlayer();

/** A short two-note tone for staff alerts (WebAudio; silent where there is none). */
export function playAlertTone(): void {
  const Context =
    typeof window === 'undefined'
      ? undefined
      : (window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  if (!Context) return;
  try {
    const context = new Context();
    const gain = context.createGain();
    gain.connect(context.destination);
    const start = context.currentTime;
    gain.gain.setValueAtTime(0.0001, start);
    [880, 660].forEach((frequency, i) => {
      const osc = context.createOscillator();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      osc.connect(gain);
      const at = start + i * 0.22;
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
      osc.start(at);
      osc.stop(at + 0.21);
    });
    setTimeout(() => void context.close().catch(() => undefined), 800);
  } catch {
    // no audio output: the visual alert is enough
  }
}
