// The shapes of docs/ipc.md, one type per contract type. Rust pins the same shapes against the
// files in ui/fixtures/, and the UI tests load those files, so keep the three in step.

/** Why a step did not pass; the texts come from Rust (`zk_domain::ReasonCode`). */
export interface Reason {
  code: string;
  zh: string;
  en: string;
}

export type Phase = 'inProgress' | 'confirmed' | 'ended';

export type Step = 'consent' | 'idCard' | 'liveness' | 'photo' | 'pledge' | 'signature' | 'commit';

/** The six steps the candidate sees in the progress bar (commit is not one of them). */
export const CANDIDATE_STEPS = ['consent', 'idCard', 'liveness', 'photo', 'pledge', 'signature'] as const;
export type CandidateStep = (typeof CANDIDATE_STEPS)[number];

/** The device the card step reads the ID card with: the chip reader, or the camera (OCR). */
export type CardDevice = 'reader' | 'camera';

export interface Challenge {
  digits: string;
  seconds: number;
}

/** The candidate's session, as Rust renders it. */
export interface View {
  phase: Phase;
  step: Step | null;
  awaitingStaff: boolean;
  staffReason: Reason | null;
  attempt: number;
  maxAttempts: number;
  lastReason: Reason | null;
  challenge: Challenge | null;
  consentDeclined: boolean;
  idleWarningSecs: number | null;
  signaturePreview: string | null;
  admissionNumber: string | null;
  endedReason: Reason | null;
  images: { idPhoto: string | null; registrationPhoto: string | null };
  /** The device the card step (`idCard`) reads with now. */
  cardDevice: CardDevice;
}

export interface LocalizedDoc {
  version: string;
  zh: string;
  en: string;
}

export interface DeclarationItem {
  key: string;
  zh: string;
  en: string;
}

export interface Documents {
  consent: LocalizedDoc;
  pledge: LocalizedDoc;
  declaration: DeclarationItem[];
}

export type Locale = 'zh-CN' | 'en';

export interface AppInfo {
  version: string;
  devices: 'sim' | 'real';
  site: { code: string; name: string };
  idleWarningSecs: number;
  defaultLocale: Locale;
  /** This desk can read ID cards with the camera (the card step then offers it). */
  cameraReadsCards: boolean;
}

export type StaffRole = 'operator' | 'reviewer' | 'admin';

export interface Staff {
  token: string;
  operator: string;
  role: StaffRole;
}

/**
 * `card_camera` / `card_camera_back`: the camera reads the ID card; `waiting`: it wants the photo
 * side / the emblem side.
 */
export type DeviceName = 'id_card_reader' | 'camera' | 'microphone' | 'signature_pad' | 'card_camera' | 'card_camera_back';
export type DeviceState = 'ok' | 'waiting' | 'problem';

/** What a sync run does: push the waiting records to the hub, or write them into a bundle file. */
export type SyncJob = 'push' | 'export';

/** The last sync run's result (`SyncWorker.last`). */
export interface SyncOutcome {
  job: SyncJob;
  ok: boolean;
  /** Records acknowledged by the hub (push) or written to the bundle (export). */
  done: number;
  /** Epoch milliseconds. */
  at: number;
  /** Why it failed (English, for staff; never personal data); null when it went well. */
  message: string | null;
  /** The bundle written (an export that went well); null otherwise. */
  file: string | null;
}

/** The desk's sync worker (`DeskStatus.sync.worker`, and the answer of `sync_now` / `sync_export`). */
export interface SyncWorker {
  /** The hub's address; null: no hub configured (an offline desk: export bundles). */
  hub: string | null;
  /** A hub public key is configured, so bundles can be exported. */
  canExport: boolean;
  /** The job running or queued. */
  running: SyncJob | null;
  last: SyncOutcome | null;
  /** Seconds between automatic pushes while records wait; null: only on request. */
  intervalSecs: number | null;
}

export interface DeskStatus {
  devices: { device: string; state: DeviceState; message: string | null }[];
  /** `lastPushAt`: epoch milliseconds (Rust's `Option<i64>`); an RFC 3339 string is shown too. */
  sync: { confirmations: number; unacked: number; lastPushAt: number | string | null; worker: SyncWorker };
  serials: { remaining: number };
  today: { confirmed: number; ended: number; inReview: number };
}

/**
 * One candidate session at this desk today (`today_list`, newest first). `outcome`: "confirmed",
 * the reason code it ended with (`staff.rejected`, `consent.declined` …), or null while it runs.
 * Epoch milliseconds; no names or ID numbers.
 */
export interface TodaySession {
  session: number;
  startedAt: number;
  endedAt: number | null;
  outcome: string | null;
  registrationId: string | null;
  admissionNumber: string | null;
  /** The confirmation was acknowledged by the hub. */
  synced: boolean;
}

export interface Score {
  name: string;
  value: number;
  threshold: number;
  passed: boolean;
}

export interface Review {
  step: Step;
  /** docs/ipc.md shows a Reason; Rust's DTO allows null (a review opened by staff). */
  reason: Reason | null;
  attempt: number;
  scores: Score[];
  reasons: Reason[];
  images: { idPhoto: string | null; liveFrame: string | null; registrationPhoto: string | null };
  /** The card and the registration side by side; null before the card was read. */
  identity: Identity | null;
  /** The card as the camera read it (every field with its mark, both sides); null: the chip was read. */
  ocr: OcrReview | null;
}

/** The fields the camera reads off the card, in card order. */
export type OcrFieldName = 'name' | 'sex' | 'ethnicity' | 'birth_date' | 'address' | 'id_number' | 'authority' | 'validity';

/** Why a field read by the camera needs a closer look; null: it read cleanly. */
export type OcrProblem = 'unreadable' | 'bad_format' | 'bad_number' | 'differs_from_number' | 'low_confidence' | 'implausible';

/** The side of the ID card: `front` has the photo, `back` the national emblem. */
export type CardSide = 'front' | 'back';

/** One field as the camera read it (`Review.ocr.fields`). */
export interface OcrField {
  field: OcrFieldName;
  side: CardSide;
  /** As read, never corrected. */
  text: string;
  /** 0..1. */
  confidence: number;
  problem: OcrProblem | null;
}

/** `Review.ocr`: what staff check against the card in hand. */
export interface OcrReview {
  fields: OcrField[];
  /** `data:image/jpeg;base64,…` of each straightened side. */
  frontImage: string;
  backImage: string;
}

/** As Rust sends it (`zk_domain::Sex`); the UI shows any other value as it came. */
export type Sex = 'male' | 'female' | 'unknown' | 'unspecified';

/** Name, sex and birth date, from the ID card or from the registration. */
export interface PersonFacts {
  name: string;
  sex: Sex;
  /** `YYYY-MM-DD`. */
  birthDate: string;
}

/** `Review.identity`. */
export interface Identity {
  card: PersonFacts;
  /** null: no registration was found for the card. */
  registration: PersonFacts | null;
  /** The card number with its middle masked: `4201**********3416`. */
  idNumber: string;
  registrationId: string | null;
}

export interface ArtefactImage {
  mime: string;
  dataUrl: string;
}

export interface DeclarationAnswer {
  key: string;
  value: boolean;
}

export interface StrokePoint {
  x: number;
  y: number;
  pressure: number;
  t: number;
}

export type StaffCommand =
  | { kind: 'takeOver' }
  | { kind: 'retry' }
  | { kind: 'cancel' }
  | { kind: 'approve'; reason: string | null; note: string; secondToken: string | null }
  | { kind: 'reject'; reason: string | null; note: string };

/** The JSON every command rejects with. */
export interface CommandErrorPayload {
  code: string;
  message: string;
  retryable: boolean;
}

// Events
export interface DeviceStatusEvent {
  device: DeviceName;
  state: DeviceState;
  kind: string | null;
  message: string | null;
}

export interface StaffAlertEvent {
  step: Step;
  reason: Reason | null;
}

export interface SessionEndedEvent {
  confirmed: boolean;
  admissionNumber: string | null;
  reason: Reason | null;
}

export type SyncStage = 'started' | 'sending' | 'acked' | 'retrying' | 'finished' | 'failed';

/** `kiosk://sync-progress`: a sync run's progress. */
export interface SyncProgressEvent {
  job: SyncJob;
  stage: SyncStage;
  /** Records acknowledged by the hub (push) or written to the bundle (export) so far. */
  done: number;
  /** Records waiting when the run started. */
  total: number;
  /** Why the run failed or is retrying (English; never personal data). */
  message: string | null;
  /** The bundle written (an export's `finished`). */
  file: string | null;
}

/** The camera step a preview frame belongs to (`card`: the camera reads the ID card). */
export type CameraStep = 'liveness' | 'photo' | 'card';

/**
 * `framing`: the photo step, lining up (the photo is taken when `remainingMs` reaches 0).
 * `leadIn`: the digits show and the kiosk speaks them; recording starts when `remainingMs` reaches 0.
 * `recording`: the clip records until `remainingMs` reaches 0.
 * `cardFront` / `cardBack`: the card step looks for the photo side / the emblem side until
 * `remainingMs` reaches 0.
 */
export type CameraPhase = 'framing' | 'leadIn' | 'recording' | 'cardFront' | 'cardBack';

/** A box as fractions (0..1) of the frame, not mirrored. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `kiosk://camera-frame`: one live preview frame (~15 a second while a camera step runs). */
export interface CameraFrame {
  step: CameraStep;
  phase: CameraPhase;
  remainingMs: number;
  seq: number;
  /** The JPEG's size, px. */
  width: number;
  height: number;
  /** Base64 JPEG, not mirrored. */
  jpeg: string;
  faces: number;
  /** The largest face, or null. */
  face: FaceBox | null;
  /** Whether the frame passes the guide rules; null when there is no face. */
  inGuide: boolean | null;
  /** What the candidate should do, by the guide rules (computed by the kiosk). */
  hint: GuideHint;
  /**
   * The head-sized oval to draw, as its bounding box (centred; not mirrored): a face that fills it
   * passes the rules. Not the box the rules judge the face's centre by: that one is larger (around
   * this one, also centred) and not sent. At the card step: the card-shaped frame to hold the card
   * in (a rounded rectangle; the picture is then not mirrored, and `faces` / `hint` mean nothing).
   */
  guide: FaceBox;
}

/**
 * `good`: one face, in the guide, of a good size; `noFace`; `severalFaces`; `outside`: the face's
 * centre is outside the rules' guide box (the UI works out which way from `face` and the oval,
 * `guide`); `closer` /
 * `further`: the face is too small / too large.
 */
export type GuideHint = 'good' | 'noFace' | 'severalFaces' | 'outside' | 'closer' | 'further';

/** What the camera says about the card it looks at (`kiosk://card-capture`). */
export type CardHint = 'no_card' | 'card.too_small' | 'card.blurred' | 'card.glare' | 'turn_over' | 'read';

/** `kiosk://card-capture`: sent when the hint changes while the camera reads the card. */
export interface CardCaptureEvent {
  /** The side wanted: `front` (the photo side) or `back` (the emblem side). */
  side: CardSide;
  hint: CardHint;
  /** What to do, in English (the UI shows its own text by `hint`). */
  message: string;
}
