import { Button, Icon, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { CameraPreview } from './Camera';
import { secondsLeft, useCameraFeed } from './cameraFeed';
import { Screen, type Busy, type CandidateActions } from './Screen';

export function Photo(props: { view: View; actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const { view } = props;
  const feed = useCameraFeed('photo', view.attempt);
  // The framing phase of the camera frames counts down to the photo.
  const latest = feed.latest;
  const countdown = latest && latest.phase === 'framing' && latest.remainingMs > 0 ? secondsLeft(latest.remainingMs) : null;
  const failed = view.lastReason !== null;
  const tips = ['tipBackground', 'tipStraight', 'tipGlare', 'tipHair'];
  return (
    <Screen
      name="photo"
      title={t('photo.title')}
      lead={t('photo.lead')}
      view={view}
      class="screen--split"
      actions={
        // no "try again" while a photo is being taken
        failed && countdown === null ? (
          <Button id="retry" busy={props.busy.has('retry')} onClick={props.actions.retry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    >
      <div class="photo-panel">
        {failed ? (
          <ReasonNotice reason={view.lastReason!} title={t('photo.failedTitle')} id="last-reason" />
        ) : (
          <p class="status-line" role="status">
            <span class="spinner spinner--inline" aria-hidden="true" />
            {t('photo.taking')}
          </p>
        )}
        <div class="tips">
          <h2 class="tips__title">{t('photo.tipsTitle')}</h2>
          <ul>
            {tips.map((tip) => (
              <li key={tip}>
                <Icon name="check" />
                <span>{t(`photo.${tip}`)}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <CameraPreview
        guide="portrait"
        label={t('photo.cameraLabel')}
        hint={t('photo.frameGuide')}
        headOnlyHint={t('photo.frameGuideHead')}
        feed={feed}
      >
        {countdown !== null ? (
          <div class="camera__countdown" id="photo-countdown" role="timer" aria-label={t('photo.countdownLabel', { n: countdown })}>
            <span class="camera__countdown-value" aria-hidden="true">
              {countdown}
            </span>
            <span class="camera__countdown-label" aria-hidden="true">
              {t('photo.holdStill')}
            </span>
          </div>
        ) : null}
      </CameraPreview>
    </Screen>
  );
}
