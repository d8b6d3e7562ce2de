// The staff console's panels: desk status, the candidate's live step with the staff commands, and
// the manual review with its evidence (photos, the card against the registration, scores, reasons).

import { useState } from 'preact/hooks';
import { ArtefactImage, Button, Icon, Modal } from '../components';
import { formatScore, formatTimestamp, groupAdmissionNumber } from '../format';
import { useI18n } from '../i18n';
import type { DeskStatus, Reason, Review, Score, StaffCommand, StaffRole, SyncJob, SyncProgressEvent, SyncStage, SyncWorker, TodaySession, View } from '../types';
import { CardImagesForm } from './CardImages';
import { DecisionForm, uniqueReasons, type DecisionKind } from './Decision';
import { IdentitySection } from './Identity';
import { OcrSection } from './Ocr';

export const LOW_SERIALS = 50;

/** The stages that end a sync run: the desk status then has the run's result. */
export const SYNC_END_STAGES: readonly SyncStage[] = ['finished', 'failed'];

export function syncRunEnded(progress: SyncProgressEvent | null): boolean {
  return progress !== null && SYNC_END_STAGES.includes(progress.stage);
}

/** What the staff console lets the desk's sync worker do, and what it is doing. */
export interface SyncControls {
  /** The signed-in staff's role (export is an admin's task). */
  role: StaffRole | null;
  /** A `sync_now` / `sync_export` call waiting for its answer. */
  busy: SyncJob | null;
  onSyncNow: () => void;
  onExport: () => void;
}

/** A sync run's live progress line, from the latest `kiosk://sync-progress`. */
function SyncProgressLine(props: { progress: SyncProgressEvent }) {
  const { t } = useI18n();
  const { job, stage, done, total, message } = props.progress;
  const counts = { done, total };
  let line: string;
  if (stage === 'retrying') line = t('staff.sync.progress.retrying', counts);
  else if (stage === 'started') line = t(job === 'push' ? 'staff.sync.progress.pushStarted' : 'staff.sync.progress.exportStarted', counts);
  else line = t(job === 'push' ? 'staff.sync.progress.sending' : 'staff.sync.progress.exporting', counts);
  return (
    <div class={`sync__progress ${stage === 'retrying' ? 'is-retrying' : ''}`} role="status" data-testid="sync-progress" data-stage={stage} data-job={job}>
      <p class="sync__line">
        <span class="spinner spinner--inline" aria-hidden="true" />
        <span>{line}</span>
      </p>
      {stage === 'retrying' && message ? <p class="sync__detail">{message}</p> : null}
      {total > 0 ? <progress class="sync__bar" max={total} value={Math.min(done, total)} aria-label={t('staff.sync.progress.label')} /> : null}
    </div>
  );
}

/** The last run's result: what was sent or written, or why it failed. */
function SyncLastRun(props: { worker: SyncWorker }) {
  const { t, locale } = useI18n();
  const last = props.worker.last;
  if (!last) return null;
  const time = formatTimestamp(last.at, locale);
  if (!last.ok) {
    return (
      <div class="inline-error" role="status" data-testid="sync-last" data-ok="false" data-job={last.job}>
        <Icon name="alert" />
        <div class="sync__body">
          <p class="sync__title">{t(last.job === 'push' ? 'staff.sync.pushFailed' : 'staff.sync.exportFailed', { time })}</p>
          {last.message ? <p class="sync__detail">{last.message}</p> : null}
        </div>
      </div>
    );
  }
  let line: string;
  if (last.job === 'export') line = t('staff.sync.exported', { time, count: last.done, file: last.file ?? '' });
  else if (last.done === 0) line = t('staff.sync.pushedNone', { time });
  else line = t('staff.sync.pushed', { time, count: last.done });
  return (
    <p class="inline-ok" role="status" data-testid="sync-last" data-ok="true" data-job={last.job}>
      <Icon name="check" />
      <span class="sync__detail">{line}</span>
    </p>
  );
}

/** The desk's sync worker: the hub, the last run, the live progress, "sync now" and "export". */
export function SyncSection(props: { worker: SyncWorker; progress: SyncProgressEvent | null; controls?: SyncControls }) {
  const { t } = useI18n();
  const { worker, controls } = props;
  const live = props.progress && !syncRunEnded(props.progress) ? props.progress : null;
  const running = live?.job ?? worker.running;
  const isAdmin = controls?.role === 'admin';
  const busy = controls?.busy ?? null;

  // Why a button is off (null: it is on).
  const pushWhy = running ? 'running' : worker.hub === null ? 'noHub' : null;
  const exportWhy = running ? 'running' : !isAdmin ? 'adminOnly' : !worker.canExport ? 'noHubKey' : null;
  const hintId = (why: string) => `sync-why-${why}`;
  const hints = [...new Set([pushWhy, exportWhy].filter((why): why is string => why !== null))];

  let interval: string;
  if (worker.intervalSecs === null) interval = t('staff.sync.onRequest');
  else if (worker.intervalSecs % 60 === 0) interval = t('staff.sync.everyMinutes', { minutes: worker.intervalSecs / 60 });
  else interval = t('staff.sync.everySeconds', { seconds: worker.intervalSecs });

  return (
    <div class="sync" data-testid="sync" aria-labelledby="sync-title" role="group">
      <h3 class="panel__sub" id="sync-title">
        {t('staff.desk.sync')}
      </h3>
      <dl class="facts sync__facts">
        <div>
          <dt>{t('staff.sync.hub')}</dt>
          {worker.hub ? (
            <dd class="mono sync__hub" data-testid="sync-hub">
              {worker.hub}
            </dd>
          ) : (
            <dd class="sync__no-hub" data-testid="sync-no-hub">
              {t('staff.sync.noHub')}
            </dd>
          )}
        </div>
        {worker.hub ? (
          <div>
            <dt>{t('staff.sync.auto')}</dt>
            <dd class="sync__interval">{interval}</dd>
          </div>
        ) : null}
      </dl>
      {live ? (
        <SyncProgressLine progress={live} />
      ) : running ? (
        <p class="inline-info" role="status" data-testid="sync-running" data-job={running}>
          <span class="spinner spinner--inline" aria-hidden="true" />
          {t(running === 'push' ? 'staff.sync.running.push' : 'staff.sync.running.export')}
        </p>
      ) : null}
      <SyncLastRun worker={worker} />
      {controls ? (
        <>
          <div class="staff-actions" role="group" aria-label={t('staff.desk.sync')}>
            <Button
              size="md"
              id="sync-now"
              disabled={pushWhy !== null}
              busy={busy === 'push'}
              describedBy={pushWhy ? hintId(pushWhy) : undefined}
              onClick={controls.onSyncNow}
            >
              {t('staff.sync.syncNow')}
            </Button>
            <Button
              size="md"
              variant="secondary"
              id="sync-export"
              disabled={exportWhy !== null}
              busy={busy === 'export'}
              describedBy={exportWhy ? hintId(exportWhy) : undefined}
              onClick={controls.onExport}
            >
              {t('staff.sync.export')}
            </Button>
          </div>
          {hints.length > 0 ? (
            <ul class="sync__hints">
              {hints.map((why) => (
                <li key={why} id={hintId(why)} data-why={why}>
                  {t(`staff.sync.why.${why}`)}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

/** A session's outcome in today's list: confirmed (with the admission number), ended (its reason), running. */
function TodayOutcome(props: { row: TodaySession }) {
  const { t } = useI18n();
  const { outcome, admissionNumber } = props.row;
  if (outcome === null) return <span class="pill pill--waiting">{t('staff.today.running')}</span>;
  if (outcome === 'confirmed') {
    return (
      <>
        <span class="today__confirmed">{t('staff.today.confirmed')}</span>{' '}
        {admissionNumber ? (
          <span class="mono today__admission" data-testid="today-admission">
            {groupAdmissionNumber(admissionNumber).join(' ')}
          </span>
        ) : null}
      </>
    );
  }
  // a reason code (no labels exist for bare codes): "ended" and the code as it came
  return (
    <>
      <span class="today__ended">{t('staff.today.ended')}</span>{' '}
      <code class="today__code">{outcome}</code>
    </>
  );
}

/** Today's candidate sessions at this desk (`today_list`), newest first; read only. */
/** An empty cell: a dash on screen, "none" for a screen reader. */
function NoneCell() {
  const { t } = useI18n();
  return (
    <span class="today__none">
      <span aria-hidden="true">—</span>
      <span class="visually-hidden">{t('staff.today.none')}</span>
    </span>
  );
}

export function TodayList(props: { rows: TodaySession[] }) {
  const { t, locale } = useI18n();
  if (props.rows.length === 0) {
    return (
      <p class="panel__empty today__empty" data-testid="today-empty">
        {t('staff.today.empty')}
      </p>
    );
  }
  return (
    <table class="today" data-testid="today-list">
      <caption class="today__caption">{t('staff.today.caption', { count: props.rows.length })}</caption>
      <thead>
        <tr>
          <th scope="col">{t('staff.today.started')}</th>
          <th scope="col">{t('staff.today.outcome')}</th>
          <th scope="col">{t('staff.today.registration')}</th>
          <th scope="col">{t('staff.today.upload')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => {
          const state = row.outcome === null ? 'running' : row.outcome === 'confirmed' ? 'confirmed' : 'ended';
          return (
            <tr key={row.session} data-testid="today-row" data-session={row.session} data-outcome={state}>
              <th scope="row" class="today__time">
                {formatTimestamp(row.startedAt, locale, { timeOnly: true })}
              </th>
              <td class="today__outcome">
                <TodayOutcome row={row} />
              </td>
              <td class="mono today__registration">{row.registrationId ?? <NoneCell />}</td>
              <td class="today__upload">
                {state === 'confirmed' ? (
                  <span class={`pill ${row.synced ? 'pill--ok' : 'pill--waiting'}`} data-testid="today-synced" data-synced={String(row.synced)}>
                    {t(row.synced ? 'staff.today.synced' : 'staff.today.waiting')}
                  </span>
                ) : (
                  <NoneCell />
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function DeskStatusPanel(props: {
  status: DeskStatus | null;
  updatedAt: string | null;
  sync: SyncProgressEvent | null;
  controls?: SyncControls;
  /** Today's sessions (`today_list`); null: not fetched (yet). */
  today?: TodaySession[] | null;
}) {
  const { t, locale } = useI18n();
  const status = props.status;
  return (
    <section class="panel panel--desk" aria-labelledby="desk-title">
      <div class="panel__head">
        <h2 id="desk-title">{t('staff.desk.title')}</h2>
        {props.updatedAt ? <span class="panel__meta">{t('staff.desk.updated', { time: props.updatedAt })}</span> : null}
      </div>
      {status ? (
        <>
          <h3 class="panel__sub">{t('staff.desk.devices')}</h3>
          <ul class="devices" data-testid="devices">
            {status.devices.map((device) => (
              <li class={`device device--${device.state}`} key={device.device} data-device={device.device}>
                <span class="device__name">{t(`staff.device.${device.device}`)}</span>
                <span class={`pill pill--${device.state}`}>{t(`staff.deviceState.${device.state}`)}</span>
                {device.message ? <span class="device__message">{device.message}</span> : null}
              </li>
            ))}
          </ul>
          <dl class="stats">
            <div>
              <dt>{t('staff.desk.unacked')}</dt>
              <dd data-testid="unacked">{status.sync.unacked}</dd>
            </div>
            <div>
              <dt>{t('staff.desk.confirmations')}</dt>
              <dd>{status.sync.confirmations}</dd>
            </div>
            <div class={status.serials.remaining < LOW_SERIALS ? 'is-warning' : ''}>
              <dt>{t('staff.desk.serials')}</dt>
              <dd data-testid="serials">{status.serials.remaining}</dd>
            </div>
            <div>
              <dt>{t('staff.desk.lastPush')}</dt>
              <dd class="stats__small">{status.sync.lastPushAt ? formatTimestamp(status.sync.lastPushAt, locale) : t('staff.desk.never')}</dd>
            </div>
          </dl>
          {status.serials.remaining < LOW_SERIALS ? (
            <p class="inline-warning" role="status">
              <Icon name="alert" />
              {t('staff.desk.lowSerials')}
            </p>
          ) : null}
          <SyncSection worker={status.sync.worker} progress={props.sync} controls={props.controls} />
          <h3 class="panel__sub">{t('staff.desk.today')}</h3>
          <dl class="stats stats--today">
            <div>
              <dt>{t('staff.desk.confirmed')}</dt>
              <dd data-testid="today-confirmed">{status.today.confirmed}</dd>
            </div>
            <div>
              <dt>{t('staff.desk.ended')}</dt>
              <dd>{status.today.ended}</dd>
            </div>
            <div>
              <dt>{t('staff.desk.inReview')}</dt>
              <dd>{status.today.inReview}</dd>
            </div>
          </dl>
          {props.today ? <TodayList rows={props.today} /> : null}
        </>
      ) : (
        <span class="spinner" aria-hidden="true" />
      )}
    </section>
  );
}

function ReasonLine(props: { label: string; reason: Reason }) {
  const { pick } = useI18n();
  return (
    <div class="reason-line" data-reason={props.reason.code}>
      <dt>{props.label}</dt>
      <dd>
        <code>{props.reason.code}</code> {pick(props.reason)}
      </dd>
    </div>
  );
}

export function LivePanel(props: {
  view: View | null;
  review: Review | null;
  busy: string | null;
  command: (command: StaffCommand) => Promise<void>;
  /**
   * Reads the card from two image files (`card_from_images`), offered at the card step when the
   * desk can read cards with the camera (`AppInfo.cameraReadsCards`); absent: not offered.
   */
  importCard?: (front: number[], back: number[]) => Promise<void>;
}) {
  const { t } = useI18n();
  const { view } = props;
  const [dialog, setDialog] = useState<DecisionKind | 'cancel' | null>(null);
  const inProgress = view?.phase === 'inProgress';
  const reasons = uniqueReasons(view?.staffReason, view?.lastReason, props.review?.reason, props.review?.reasons ?? []);

  const simple = (kind: 'takeOver' | 'retry' | 'cancel') => void props.command({ kind }).catch(() => undefined);

  return (
    <section class="panel panel--live" aria-labelledby="live-title">
      <div class="panel__head">
        <h2 id="live-title">{t('staff.live.title')}</h2>
        {view ? (
          <span class={`pill pill--phase-${view.phase}`} data-testid="live-phase">
            {t(`staff.phase.${view.phase}`)}
          </span>
        ) : null}
      </div>
      {!view ? (
        <p class="panel__empty">{t('staff.live.none')}</p>
      ) : (
        <>
          <dl class="facts">
            {view.step ? (
              <div>
                <dt>{t('staff.live.step')}</dt>
                <dd data-testid="live-step">{t(`steps.${view.step}`)}</dd>
              </div>
            ) : null}
            {inProgress && view.step === 'idCard' ? (
              <div>
                <dt>{t('staff.live.cardDevice')}</dt>
                <dd data-testid="live-card-device">{t(view.cardDevice === 'camera' ? 'staff.cardDevice.camera' : 'staff.cardDevice.reader')}</dd>
              </div>
            ) : null}
            {inProgress ? (
              <div>
                <dt>{t('staff.live.attempt')}</dt>
                <dd>{`${view.attempt} / ${view.maxAttempts}`}</dd>
              </div>
            ) : null}
            {view.admissionNumber ? (
              <div>
                <dt>{t('staff.live.admission')}</dt>
                <dd class="mono">{groupAdmissionNumber(view.admissionNumber).join(' ')}</dd>
              </div>
            ) : null}
            {view.staffReason ? <ReasonLine label={t('staff.live.staffReason')} reason={view.staffReason} /> : null}
            {view.lastReason ? <ReasonLine label={t('staff.live.lastReason')} reason={view.lastReason} /> : null}
            {view.endedReason ? <ReasonLine label={t('staff.live.endedReason')} reason={view.endedReason} /> : null}
          </dl>
          {view.awaitingStaff ? (
            <p class="inline-warning" role="status" data-testid="awaiting">
              <Icon name="alert" />
              {t('staff.live.awaiting')}
            </p>
          ) : null}
          {view.consentDeclined ? <p class="inline-info">{t('staff.live.consentDeclined')}</p> : null}
        </>
      )}
      <div class="staff-actions" role="group" aria-label={t('staff.live.title')}>
        <Button size="md" variant="secondary" id="staff-take-over" disabled={!inProgress || view?.awaitingStaff} busy={props.busy === 'takeOver'} onClick={() => simple('takeOver')}>
          {t('staff.actions.takeOver')}
        </Button>
        <Button size="md" variant="secondary" id="staff-retry" disabled={!inProgress} busy={props.busy === 'retry'} onClick={() => simple('retry')}>
          {t('staff.actions.retry')}
        </Button>
        <Button size="md" variant="secondary" id="staff-cancel" disabled={!inProgress} busy={props.busy === 'cancel'} onClick={() => setDialog('cancel')}>
          {t('staff.actions.cancel')}
        </Button>
        <Button size="md" id="staff-approve" disabled={!inProgress || !view?.awaitingStaff} onClick={() => setDialog('approve')}>
          {t('staff.actions.approve')}
        </Button>
        <Button size="md" variant="danger" id="staff-reject" disabled={!inProgress || !view?.awaitingStaff} onClick={() => setDialog('reject')}>
          {t('staff.actions.reject')}
        </Button>
      </div>
      {inProgress && view?.step === 'idCard' && props.importCard ? <CardImagesForm submit={props.importCard} /> : null}
      {dialog === 'cancel' ? (
        <Modal titleId="cancel-title" onEscape={() => setDialog(null)}>
          <h2 id="cancel-title" class="modal__title">
            {t('staff.actions.cancelTitle')}
          </h2>
          <p class="modal__body">{t('staff.actions.cancelBody')}</p>
          <div class="modal__actions">
            <Button variant="secondary" size="md" autoFocus onClick={() => setDialog(null)}>
              {t('staff.actions.back')}
            </Button>
            <Button
              variant="danger"
              size="md"
              id="staff-cancel-confirm"
              onClick={() => {
                setDialog(null);
                simple('cancel');
              }}
            >
              {t('staff.actions.cancelConfirm')}
            </Button>
          </div>
        </Modal>
      ) : dialog ? (
        <Modal titleId="decision-title" class="modal--wide" onEscape={() => setDialog(null)}>
          <h2 id="decision-title" class="modal__title">
            {t(dialog === 'approve' ? 'staff.decision.approveTitle' : 'staff.decision.rejectTitle')}
          </h2>
          <DecisionForm
            kind={dialog}
            idPrefix="live-decision"
            reasons={reasons}
            onCancel={() => setDialog(null)}
            submit={async (command) => {
              await props.command(command);
              setDialog(null);
            }}
          />
        </Modal>
      ) : null}
    </section>
  );
}

/** Where a score's value and threshold sit on one bar (0..1 of its width). */
export function scoreScale(score: Score): { value: number; threshold: number } {
  const max = Math.max(1, score.value, score.threshold) * (Math.max(score.value, score.threshold) > 1 ? 1.2 : 1);
  const clamp = (n: number) => Math.max(0, Math.min(1, n / max));
  return { value: clamp(score.value), threshold: clamp(score.threshold) };
}

export function ScoreBar(props: { score: Score }) {
  const { t, tOr } = useI18n();
  const { score } = props;
  const scale = scoreScale(score);
  const label = tOr(`staff.score.${score.name}`, score.name);
  return (
    <li class={`score ${score.passed ? 'is-passed' : 'is-failed'}`} data-score={score.name}>
      <div class="score__head">
        <span class="score__name">{label}</span>
        <span class={`pill ${score.passed ? 'pill--ok' : 'pill--problem'}`}>{t(score.passed ? 'staff.review.passed' : 'staff.review.failed')}</span>
      </div>
      <div
        class="score__bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuenow={score.value}
        aria-valuetext={`${t('staff.review.value', { value: formatScore(score.value) })}, ${t('staff.review.threshold', { value: formatScore(score.threshold) })}`}
      >
        <span class="score__fill" style={{ width: `${(scale.value * 100).toFixed(1)}%` }} />
        <span class="score__threshold" style={{ left: `${(scale.threshold * 100).toFixed(1)}%` }} />
      </div>
      <div class="score__numbers">
        <span>{t('staff.review.value', { value: formatScore(score.value) })}</span>
        <span>{t('staff.review.threshold', { value: formatScore(score.threshold) })}</span>
      </div>
    </li>
  );
}

export function ReviewPanel(props: {
  review: Review | null;
  loading: boolean;
  onRefresh: () => void;
  command: (command: StaffCommand) => Promise<void>;
  view: View | null;
}) {
  const { t, pick } = useI18n();
  const { review } = props;
  const [kind, setKind] = useState<DecisionKind>('approve');
  return (
    <section class="panel panel--review" aria-labelledby="review-title">
      <div class="panel__head">
        <h2 id="review-title">{t('staff.review.title')}</h2>
        {review ? (
          <span class="panel__meta" data-testid="review-step">
            {t('staff.review.stepAttempt', { step: t(`steps.${review.step}`), attempt: review.attempt })}
          </span>
        ) : null}
        <Button variant="quiet" size="md" onClick={props.onRefresh} busy={props.loading} id="review-refresh">
          {t('staff.review.refresh')}
        </Button>
      </div>
      {!review ? (
        <p class="panel__empty">{t('staff.review.none')}</p>
      ) : (
        <>
          <OcrSection ocr={review.ocr} />
          <div class="evidence">
            {(
              [
                ['idPhoto', review.images.idPhoto],
                ['liveFrame', review.images.liveFrame],
                ['registrationPhoto', review.images.registrationPhoto],
              ] as const
            ).map(([key, id]) => (
              <figure key={key} data-image={key}>
                <ArtefactImage id={id} alt={t(`staff.review.${key}`)} class="evidence__img" />
                <figcaption>{t(`staff.review.${key}`)}</figcaption>
              </figure>
            ))}
          </div>
          <IdentitySection identity={review.identity} />
          <div class={review.scores.length === 0 ? 'review-detail review-detail--no-scores' : 'review-detail'}>
            {review.scores.length > 0 ? (
              <div>
                <h3 class="panel__sub">{t('staff.review.scores')}</h3>
                <ul class="scores">
                  {review.scores.map((score) => (
                    <ScoreBar score={score} key={score.name} />
                  ))}
                </ul>
              </div>
            ) : null}
            <div>
              <h3 class="panel__sub">{t('staff.review.reasons')}</h3>
              <ul class="reasons" data-testid="review-reasons">
                {uniqueReasons(review.reason, review.reasons).map((reason) => (
                  <li key={reason.code}>
                    <code>{reason.code}</code>
                    <span>{pick(reason)}</span>
                  </li>
                ))}
              </ul>
            </div>
          </div>
          <div class="review-decide">
            <div class="segmented" role="radiogroup" aria-label={t('staff.review.title')}>
              {(['approve', 'reject'] as const).map((k) => (
                <button
                  type="button"
                  role="radio"
                  aria-checked={kind === k}
                  class={`segmented__option ${kind === k ? 'is-selected' : ''} segmented__option--${k}`}
                  key={k}
                  id={`review-kind-${k}`}
                  onClick={() => setKind(k)}
                >
                  {t(k === 'approve' ? 'staff.actions.approve' : 'staff.actions.reject')}
                </button>
              ))}
            </div>
            <DecisionForm
              key={`${kind}-${review.step}-${review.attempt}`}
              kind={kind}
              idPrefix="review-decision"
              reasons={uniqueReasons(review.reason, review.reasons, props.view?.staffReason)}
              submit={props.command}
            />
          </div>
        </>
      )}
    </section>
  );
}
