// The staff console (#/staff): sign-in, desk status every 5 s, the candidate's live step with the
// staff commands, the manual review, and alerts. The token lives in memory only: a reload signs out.

import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { Button, Emblem, Icon } from '../components';
import { formatClock } from '../format';
import { useI18n } from '../i18n';
import { playAlertTone, prompts } from '../prompts';
import type { DeskStatus, Review, TodaySession, Staff, StaffAlertEvent, StaffCommand, SyncJob, SyncProgressEvent, View } from '../types';
import { LanguageToggle } from '../candidate/Shell';
import { DeskStatusPanel, LivePanel, ReviewPanel, syncRunEnded } from './Panels';

export const DESK_REFRESH_MS = 5000;
/**
 * The worker records a run's result just after its `finished` / `failed` event, so the desk
 * status is fetched at the event and once more this long after it.
 */
export const SYNC_SETTLE_MS = 1000;
const SIGNED_OUT_CODES = new Set(['staff.expired', 'staff.token']);

export function SignIn(props: { onSignedIn: (staff: Staff) => void; expired: boolean }) {
  const { t, tOr } = useI18n();
  const [operator, setOperator] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<api.CommandError | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!operator.trim() || !secret) return;
    setBusy(true);
    setError(null);
    try {
      const staff = await api.staffSignIn(operator.trim(), secret);
      setSecret('');
      props.onSignedIn(staff);
    } catch (raw) {
      setError(api.toCommandError(raw));
      setSecret('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel sign-in" onSubmit={submit} aria-labelledby="sign-in-title" noValidate>
      <h2 id="sign-in-title">{t('staff.signIn.title')}</h2>
      <p class="panel__lead">{t('staff.signIn.lead')}</p>
      {props.expired ? (
        <p class="inline-warning" role="status" id="sign-in-expired">
          <Icon name="alert" />
          {t('staff.signIn.expired')}
        </p>
      ) : null}
      <div class="field">
        <label for="staff-operator">{t('staff.signIn.operator')}</label>
        <input
          id="staff-operator"
          name="operator"
          autoComplete="username"
          autoFocus
          value={operator}
          onInput={(e) => setOperator((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for="staff-secret">{t('staff.signIn.secret')}</label>
        <input
          id="staff-secret"
          name="secret"
          type="password"
          autoComplete="current-password"
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
        />
      </div>
      {error ? (
        <p class="field__error" role="alert" data-error={error.code}>
          {tOr(`errors.${error.code}`, error.message)}
        </p>
      ) : null}
      <Button type="submit" id="staff-sign-in" busy={busy} disabled={!operator.trim() || !secret}>
        {t('staff.signIn.submit')}
      </Button>
    </form>
  );
}

export interface StaffAppProps {
  view: View | null;
  alerts: StaffAlertEvent[];
  sync: SyncProgressEvent | null;
  applyView: (view: View | null) => void;
  dismissAlert: () => void;
  onToggleLocale: () => void;
  onBack: () => void;
  /** Staff signed in before (kept by the root so a language switch does not sign out). */
  staff: Staff | null;
  setStaff: (staff: Staff | null) => void;
  /** This desk can read cards with the camera (`AppInfo.cameraReadsCards`): staff may import card images. */
  cameraReadsCards?: boolean;
}

export function StaffApp(props: StaffAppProps) {
  const { t, tOr, pick } = useI18n();
  const { staff } = props;
  const [expired, setExpired] = useState(false);
  const [desk, setDesk] = useState<DeskStatus | null>(null);
  const [deskAt, setDeskAt] = useState<string | null>(null);
  const [today, setToday] = useState<TodaySession[] | null>(null);
  const [review, setReview] = useState<Review | null>(null);
  const [reviewLoading, setReviewLoading] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [syncBusy, setSyncBusy] = useState<SyncJob | null>(null);
  const [error, setError] = useState<api.CommandError | null>(null);
  const [muted, setMuted] = useState(prompts.muted);
  const { locale } = useI18n();
  const tokenRef = useRef<string | null>(staff?.token ?? null);
  tokenRef.current = staff?.token ?? null;

  useEffect(() => prompts.onMutedChange(setMuted), []);

  /** Runs a staff call; an expired or invalid token signs out and says so. */
  const guarded = async <T,>(call: (token: string) => Promise<T>): Promise<T> => {
    const token = tokenRef.current;
    if (!token) throw new api.CommandError({ code: 'staff.token', message: 'not signed in', retryable: false });
    try {
      return await call(token);
    } catch (raw) {
      const failure = api.toCommandError(raw);
      if (SIGNED_OUT_CODES.has(failure.code)) {
        props.setStaff(null);
        setExpired(true);
      }
      throw failure;
    }
  };

  /** The desk status and today's list, fetched together (every refresh, and after a sync run). */
  const refreshDesk = () =>
    Promise.all([
      guarded(api.deskStatus).then(
        (status) => {
          setDesk(status);
          setDeskAt(formatClock(new Date(), locale));
        },
        () => undefined,
      ),
      guarded(api.todayList).then(setToday, () => undefined),
    ]).then(() => undefined);

  const refreshReview = () => {
    setReviewLoading(true);
    return guarded(api.review)
      .then(setReview, (raw) => setError(api.toCommandError(raw)))
      .finally(() => setReviewLoading(false));
  };

  useEffect(() => {
    if (!staff) return;
    void refreshDesk();
    const timer = setInterval(() => void refreshDesk(), DESK_REFRESH_MS);
    return () => clearInterval(timer);
  }, [staff?.token]);

  // The review follows the candidate: fetched when a step starts waiting for staff.
  const awaitingKey = props.view?.awaitingStaff ? `${props.view.step}-${props.view.attempt}` : null;
  useEffect(() => {
    if (!staff) return;
    if (awaitingKey) void refreshReview();
    else setReview(null);
  }, [staff?.token, awaitingKey]);

  // A new alert beeps and refreshes the review.
  const alertCount = useRef(props.alerts.length);
  useEffect(() => {
    if (props.alerts.length > alertCount.current) {
      playAlertTone();
      if (staff) void refreshReview();
    }
    alertCount.current = props.alerts.length;
  }, [props.alerts.length]);

  // A sync run that ends changes the desk status (records waiting, last push, the run's result).
  useEffect(() => {
    if (!staff || !syncRunEnded(props.sync)) return;
    void refreshDesk();
    const timer = setTimeout(() => void refreshDesk(), SYNC_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [props.sync]);

  /** Queues a push (`sync_now`) or an export (`sync_export`); the worker's new state shows at once. */
  const startSync = async (job: SyncJob) => {
    setSyncBusy(job);
    setError(null);
    try {
      const worker = await guarded(job === 'push' ? api.syncNow : api.syncExport);
      setDesk((current) => (current ? { ...current, sync: { ...current.sync, worker } } : current));
    } catch (raw) {
      setError(api.toCommandError(raw));
    } finally {
      setSyncBusy(null);
    }
  };

  const command = async (command: StaffCommand) => {
    setBusy(command.kind);
    setError(null);
    try {
      const view = await guarded((token) => api.staffCommand(token, command));
      props.applyView(view);
      void refreshDesk();
    } catch (raw) {
      const failure = api.toCommandError(raw);
      if (command.kind !== 'approve' && command.kind !== 'reject') setError(failure);
      throw failure;
    } finally {
      setBusy(null);
    }
  };

  /** Reads the card from two image files at the card step; the form shows its own errors. */
  const importCard = async (front: number[], back: number[]) => {
    const view = await guarded((token) => api.cardFromImages(token, front, back));
    props.applyView(view);
    void refreshDesk();
    // what was read waits for review (the view's key may not change when the step already waited)
    if (view.awaitingStaff) void refreshReview();
  };

  const signOut = async () => {
    const token = tokenRef.current;
    props.setStaff(null);
    setExpired(false);
    setDesk(null);
    setToday(null);
    setReview(null);
    if (token) await api.staffSignOut(token).catch(() => undefined);
  };

  const alert = props.alerts[props.alerts.length - 1];

  return (
    <div class="console" data-route="staff">
      <header class="topbar topbar--staff">
        <div class="brand">
          <Emblem />
          <div class="brand__text">
            <span class="brand__title">{t('staff.title')}</span>
            {staff ? (
              <span class="brand__subtitle" data-testid="signed-in-as">
                {t('staff.signedInAs', { operator: staff.operator, role: t(`staff.roles.${staff.role}`) })}
              </span>
            ) : null}
          </div>
        </div>
        <div class="topbar__end">
          <Button
            variant="quiet"
            size="md"
            id="prompts-toggle"
            pressed={!muted}
            onClick={() => prompts.setMuted(!muted)}
          >
            <Icon name={muted ? 'mute' : 'sound'} />
            {t(muted ? 'staff.prompts.off' : 'staff.prompts.on')}
          </Button>
          <LanguageToggle onToggle={props.onToggleLocale} />
          {staff ? (
            <Button variant="secondary" size="md" id="staff-sign-out" onClick={() => void signOut()}>
              {t('staff.signOut')}
            </Button>
          ) : null}
          <Button variant="secondary" size="md" id="back-to-kiosk" onClick={props.onBack}>
            {t('staff.backToKiosk')}
          </Button>
        </div>
      </header>
      {alert ? (
        <div class="staff-alert" role="alert" data-testid="staff-alert">
          <Icon name="alert" />
          <div class="staff-alert__body">
            <strong>{t('staff.alert.title')}</strong>
            <span>{t('staff.alert.step', { step: t(`steps.${alert.step}`) })}</span>
            {alert.reason ? <span>{pick(alert.reason)}</span> : null}
          </div>
          <Button variant="secondary" size="md" onClick={props.dismissAlert} id="alert-dismiss">
            {t('staff.alert.dismiss')}
          </Button>
        </div>
      ) : null}
      <main class="console__main" id="main">
        {!staff ? (
          <SignIn
            expired={expired}
            onSignedIn={(signedIn) => {
              setExpired(false);
              props.setStaff(signedIn);
            }}
          />
        ) : (
          <div class="console__grid">
            <div class="console__col">
              <LivePanel
                view={props.view}
                review={review}
                busy={busy}
                command={command}
                importCard={props.cameraReadsCards ? importCard : undefined}
              />
              <DeskStatusPanel
                status={desk}
                updatedAt={deskAt}
                sync={props.sync}
                today={today}
                controls={{
                  role: staff.role,
                  busy: syncBusy,
                  onSyncNow: () => void startSync('push'),
                  onExport: () => void startSync('export'),
                }}
              />
            </div>
            <div class="console__col console__col--wide">
              <ReviewPanel review={review} loading={reviewLoading} onRefresh={() => void refreshReview()} command={command} view={props.view} />
            </div>
          </div>
        )}
        {error ? (
          <p class="notice notice--error notice--floating" role="alert" data-error={error.code}>
            <Icon name="alert" />
            <span class="notice__text">{tOr(`errors.${error.code}`, error.message)}</span>
            <Button variant="quiet" size="md" onClick={() => setError(null)}>
              {t('common.dismiss')}
            </Button>
          </p>
        ) : null}
      </main>
    </div>
  );
}
