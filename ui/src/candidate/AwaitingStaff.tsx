import { Icon, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { Screen } from './Screen';

export function AwaitingStaff(props: { view: View }) {
  const { t } = useI18n();
  const { view } = props;
  return (
    <Screen name="awaiting-staff" title={t('awaiting.title')} lead={t('awaiting.lead')}>
      <div class="outcome">
        <div class="outcome__icon outcome__icon--staff" aria-hidden="true">
          <Icon name="staff" />
        </div>
        {view.staffReason ? <ReasonNotice reason={view.staffReason} tone="info" title={t('awaiting.reasonLabel')} id="staff-reason" /> : null}
        {view.step ? <p class="outcome__next">{t('awaiting.stepLabel', { step: t(`steps.${view.step}`) })}</p> : null}
      </div>
    </Screen>
  );
}

export function Committing() {
  const { t } = useI18n();
  return (
    <Screen name="commit" title={t('commit.title')} lead={t('commit.lead')}>
      <div class="outcome">
        <span class="spinner spinner--large" aria-hidden="true" />
      </div>
    </Screen>
  );
}
