import { useEffect } from 'preact/hooks';
import { Button, Icon, ReasonNotice, useCountdown } from '../components';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { Screen, type CandidateActions } from './Screen';

export const ENDED_RETURN_SECS = 45;

export function Ended(props: { view: View; actions: CandidateActions; returnSecs?: number }) {
  const { t } = useI18n();
  const left = useCountdown(props.returnSecs ?? ENDED_RETURN_SECS, props.view.endedReason?.code ?? 'ended');
  useEffect(() => {
    if (left === 0) props.actions.finish();
  }, [left]);
  return (
    <Screen
      name="ended"
      title={t('ended.title')}
      actions={
        <>
          <p class="actions-hint">{t('common.returningIn', { n: left ?? 0 })}</p>
          <Button id="finish" onClick={props.actions.finish}>
            {t('ended.done')}
          </Button>
        </>
      }
    >
      <div class="outcome">
        <div class="outcome__icon outcome__icon--ended" aria-hidden="true">
          <Icon name="info" />
        </div>
        {props.view.endedReason ? <ReasonNotice reason={props.view.endedReason} tone="warning" id="ended-reason" /> : null}
        <p class="outcome__next">{t('ended.next')}</p>
      </div>
    </Screen>
  );
}
