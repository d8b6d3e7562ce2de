import { Button, Icon, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { CameraPreview } from './Camera';
import { Screen, type Busy, type CandidateActions } from './Screen';

export function Photo(props: { view: View; actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const { view } = props;
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
        failed ? (
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
      <CameraPreview guide="portrait" label={t('photo.cameraLabel')} hint={t('photo.frameGuide')} />
    </Screen>
  );
}
