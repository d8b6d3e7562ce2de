import { Button, Modal, useCountdown } from '../components';
import { useI18n } from '../i18n';

/** "Are you still there?": shown while the view has `idleWarningSecs`; Continue calls activity(). */
export function IdleModal(props: { seconds: number; onContinue: () => void }) {
  const { t } = useI18n();
  const left = useCountdown(props.seconds, props.seconds) ?? props.seconds;
  return (
    <Modal titleId="idle-title" class="modal--idle">
      <div class="idle" data-testid="idle-modal">
        <div class="idle__count" role="timer" aria-live="off">
          {left}
        </div>
        <h2 id="idle-title" class="modal__title">
          {t('idle.title')}
        </h2>
        <p class="modal__body" aria-live="polite">
          {t('idle.body', { n: left })}
        </p>
        <div class="modal__actions">
          <Button id="idle-continue" autoFocus onClick={props.onContinue}>
            {t('idle.continue')}
          </Button>
        </div>
      </div>
    </Modal>
  );
}
