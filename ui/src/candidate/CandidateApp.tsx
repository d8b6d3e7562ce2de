// The candidate's kiosk: picks the screen for the current View and runs the candidate commands.
// It never waits on a command to render: long commands (give_consent runs the card read, the clip
// and the photo) report progress through `kiosk://step-changed`, which the root applies.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { ErrorNotice } from '../components';
import { useI18n } from '../i18n';
import { prompts, promptsFor } from '../prompts';
import { throttle } from '../throttle';
import type { AppInfo, DeviceName, DeviceStatusEvent, Documents, View } from '../types';
import { AwaitingStaff, Committing } from './AwaitingStaff';
import { Consent } from './Consent';
import { Ended } from './Ended';
import { IdCard } from './IdCard';
import { IdleModal } from './IdleModal';
import { Liveness } from './Liveness';
import { Photo } from './Photo';
import { Pledge } from './Pledge';
import { Result } from './Result';
import type { ActionName, Busy, CandidateActions } from './Screen';
import { Footer, Header, Progress, SimBanner } from './Shell';
import { Signature } from './Signature';
import { Welcome } from './Welcome';

export const ACTIVITY_INTERVAL_MS = 2000;

export type DeviceMap = Partial<Record<DeviceName, DeviceStatusEvent>>;

/** The screen for a view (null: no session → the welcome screen). */
export function CandidateScreen(props: {
  view: View | null;
  docs: Documents | null;
  devices: DeviceMap;
  actions: CandidateActions;
  busy: Busy;
  /** This desk can read cards with the camera (`AppInfo.cameraReadsCards`). */
  cameraReadsCards?: boolean;
}) {
  const { view, docs, actions, busy } = props;
  if (!view) return <Welcome actions={actions} busy={busy} />;
  if (view.phase === 'confirmed') return <Result view={view} actions={actions} />;
  if (view.phase === 'ended') return <Ended view={view} actions={actions} />;
  if (view.awaitingStaff) return <AwaitingStaff view={view} />;
  switch (view.step) {
    case 'consent':
      return <Consent view={view} docs={docs} actions={actions} busy={busy} />;
    case 'idCard':
      return (
        <IdCard view={view} device={props.devices.id_card_reader} actions={actions} busy={busy} cameraReadsCards={props.cameraReadsCards ?? false} />
      );
    case 'liveness':
      return <Liveness view={view} actions={actions} busy={busy} />;
    case 'photo':
      return <Photo view={view} actions={actions} busy={busy} />;
    case 'pledge':
      return <Pledge view={view} docs={docs} actions={actions} busy={busy} />;
    case 'signature':
      return <Signature view={view} actions={actions} busy={busy} />;
    default:
      return <Committing />;
  }
}

export interface CandidateAppProps {
  info: AppInfo | null;
  docs: Documents | null;
  view: View | null;
  devices: DeviceMap;
  /** Shows a view that a command returned (events arrive through the root). */
  applyView: (view: View | null) => void;
  onToggleLocale: () => void;
  onOpenStaff: () => void;
}

export function CandidateApp(props: CandidateAppProps) {
  const { locale } = useI18n();
  const busyRef = useRef<ReadonlySet<ActionName>>(new Set());
  const [busy, setBusy] = useState<ReadonlySet<ActionName>>(busyRef.current);
  const [failure, setFailure] = useState<{ error: api.CommandError; retry: () => void } | null>(null);
  const viewRef = useRef(props.view);
  viewRef.current = props.view;

  const mark = (name: ActionName, running: boolean) => {
    const next = new Set(busyRef.current);
    if (running) next.add(name);
    else next.delete(name);
    busyRef.current = next;
    setBusy(next);
  };

  const fail = (raw: unknown, retry: () => void) => {
    const error = api.toCommandError(raw);
    if (error.code === 'session.open') {
      // A session already runs (a reload, a second window): show it rather than only an error.
      api.currentView().then(props.applyView, () => undefined);
    } else if (error.code === 'session.none') {
      props.applyView(null);
    }
    setFailure({ error, retry });
  };

  /** Runs a command once at a time per action; a View result is shown. Resolves true on success. */
  const run = async (name: ActionName, command: () => Promise<View | null>): Promise<boolean> => {
    if (busyRef.current.has(name)) return false;
    mark(name, true);
    setFailure(null);
    try {
      const result = await command();
      if (result !== null) props.applyView(result);
      return true;
    } catch (raw) {
      fail(raw, () => void run(name, command));
      return false;
    } finally {
      mark(name, false);
    }
  };

  // Signature calls go out in order, one after the other: strokes, then clear or done.
  const signatureQueue = useRef<Promise<unknown>>(Promise.resolve());
  const sendStroke = (command: () => Promise<null>) =>
    command().then(
      () => true,
      (raw: unknown) => {
        fail(raw, () => undefined);
        return false;
      },
    );
  const queued = (name: ActionName, command: () => Promise<null>): Promise<boolean> => {
    const next = signatureQueue.current.then(() => (name === 'signatureStroke' ? sendStroke(command) : run(name, command)));
    signatureQueue.current = next.catch(() => undefined);
    return next;
  };

  const actions: CandidateActions = {
    start: () => void run('start', api.startSession),
    giveConsent: () => void run('giveConsent', api.giveConsent),
    declineConsent: () => void run('declineConsent', api.declineConsent),
    retry: () => void run('retry', api.retry),
    readCardByCamera: () => void run('readCardByCamera', () => api.readCardWith('camera')),
    readCardByReader: () => void run('readCardByReader', () => api.readCardWith('reader')),
    acceptPledge: (answers) => void run('acceptPledge', () => api.acceptPledge(answers)),
    declinePledge: () => void run('declinePledge', api.declinePledge),
    signatureStroke: (points) => void queued('signatureStroke', () => api.signatureStroke(points)),
    signatureClear: () => void queued('signatureClear', api.signatureClear),
    signatureDone: () => queued('signatureDone', api.signatureDone),
    acceptSignature: () => void run('acceptSignature', api.acceptSignature),
    redoSignature: () => void run('redoSignature', api.retry),
    finish: () => {
      setFailure(null);
      prompts.stop();
      props.applyView(null);
    },
  };

  // Spoken prompts follow the view.
  const previous = useRef<View | null>(null);
  useEffect(() => {
    const names = promptsFor(previous.current, props.view);
    previous.current = props.view;
    if (names) void prompts.play(locale, names);
  }, [props.view]);
  useEffect(() => () => prompts.stop(), []);

  // Any touch during a session tells Rust the candidate is still there (at most every 2 s).
  const nudge = useMemo(
    () =>
      throttle(() => {
        api.activity().then(props.applyView, () => undefined);
      }, ACTIVITY_INTERVAL_MS),
    [],
  );
  useEffect(() => {
    const onTouch = () => {
      if (viewRef.current?.phase === 'inProgress') nudge();
    };
    window.addEventListener('pointerdown', onTouch, true);
    window.addEventListener('keydown', onTouch, true);
    return () => {
      window.removeEventListener('pointerdown', onTouch, true);
      window.removeEventListener('keydown', onTouch, true);
    };
  }, [nudge]);

  const view = props.view;
  return (
    <div class={`kiosk ${view ? 'kiosk--session' : 'kiosk--welcome'}`} data-route="candidate">
      <Header
        onToggleLocale={props.onToggleLocale}
        onOpenStaff={props.onOpenStaff}
        progress={view && view.phase !== 'ended' ? <Progress view={view} /> : null}
      />
      {props.info?.devices === 'sim' ? <SimBanner /> : null}
      <main class="kiosk__main" id="main">
        <CandidateScreen
          view={view}
          docs={props.docs}
          devices={props.devices}
          actions={actions}
          busy={busy}
          cameraReadsCards={props.info?.cameraReadsCards ?? false}
        />
        {failure ? <ErrorNotice error={failure.error} onRetry={failure.retry} onDismiss={() => setFailure(null)} /> : null}
      </main>
      <Footer info={props.info} />
      {view && view.phase === 'inProgress' && view.idleWarningSecs !== null ? (
        <IdleModal seconds={view.idleWarningSecs} onContinue={nudge} />
      ) : null}
    </div>
  );
}
