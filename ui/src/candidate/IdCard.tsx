import { Button, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import type { DeviceStatusEvent, View } from '../types';
import { Screen, type Busy, type CandidateActions } from './Screen';

/** A card sliding down onto a reader; pure SVG + CSS animation. */
export function CardReaderIllustration(props: { label: string }) {
  return (
    <svg class="reader-art" viewBox="0 0 360 260" role="img" aria-label={props.label}>
      <defs>
        <linearGradient id="card-face" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stop-color="#e8f0fb" />
          <stop offset="1" stop-color="#c7daf5" />
        </linearGradient>
      </defs>
      <g class="reader-art__waves" fill="none" stroke="#0f4c9c" stroke-width="4" stroke-linecap="round">
        <path d="M150 196c10-10 50-10 60 0" />
        <path d="M136 184c18-18 70-18 88 0" />
      </g>
      <rect x="70" y="180" width="220" height="66" rx="16" fill="#23354f" />
      <rect x="96" y="192" width="168" height="26" rx="8" fill="#3b5275" />
      <circle cx="268" cy="232" r="5" fill="#3ddc84" class="reader-art__led" />
      <g class="reader-art__card">
        <rect x="95" y="40" width="170" height="108" rx="12" fill="url(#card-face)" stroke="#0f4c9c" stroke-width="3" />
        <rect x="112" y="60" width="44" height="56" rx="6" fill="#9db8dd" />
        <circle cx="134" cy="80" r="10" fill="#f4f7fb" />
        <path d="M118 112c2-12 30-12 32 0" fill="#f4f7fb" />
        <rect x="170" y="64" width="78" height="8" rx="4" fill="#6f8fbf" />
        <rect x="170" y="82" width="62" height="8" rx="4" fill="#6f8fbf" />
        <rect x="170" y="100" width="70" height="8" rx="4" fill="#6f8fbf" />
        <rect x="112" y="126" width="136" height="8" rx="4" fill="#6f8fbf" />
      </g>
    </svg>
  );
}

export function IdCard(props: { view: View; device: DeviceStatusEvent | undefined; actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const { view } = props;
  const failed = view.lastReason !== null;
  const problem = props.device?.state === 'problem';
  const status = problem ? t('idCard.deviceProblem') : props.device?.state === 'ok' ? t('idCard.reading') : t('idCard.waiting');
  return (
    <Screen
      name="idcard"
      title={t('idCard.title')}
      lead={t('idCard.lead')}
      view={view}
      actions={
        failed ? (
          <Button id="retry" busy={props.busy.has('retry')} onClick={props.actions.retry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    >
      <div class={`reader-stage ${failed ? 'is-failed' : ''}`}>
        <CardReaderIllustration label={t('idCard.illustration')} />
        {failed ? (
          <ReasonNotice reason={view.lastReason!} title={t('idCard.failedTitle')} id="last-reason" />
        ) : (
          <p class={`status-line ${problem ? 'status-line--problem' : ''}`} role="status" aria-live="polite">
            {problem ? null : <span class="spinner spinner--inline" aria-hidden="true" />}
            {status}
          </p>
        )}
      </div>
    </Screen>
  );
}
