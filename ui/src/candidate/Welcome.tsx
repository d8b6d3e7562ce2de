import { Button, Icon } from '../components';
import { useI18n } from '../i18n';
import { CardReaderIllustration } from './IdCard';
import type { Busy, CandidateActions } from './Screen';

export function Welcome(props: { actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const steps = ['step1', 'step2', 'step3', 'step4', 'step5'];
  return (
    <section class="screen screen--welcome" aria-labelledby="screen-title" data-screen="welcome">
      <div class="welcome">
        <div class="welcome__hero">
          <div class="welcome__art">
            <CardReaderIllustration label={t('idCard.illustration')} />
          </div>
          <h1 id="screen-title" class="welcome__title">
            {t('welcome.title')}
          </h1>
          <p class="welcome__lead">{t('welcome.lead')}</p>
          <Button id="start" class="welcome__start" busy={props.busy.has('start')} onClick={props.actions.start}>
            {t('welcome.start')}
          </Button>
        </div>
        <div class="welcome__steps">
          <h2 class="welcome__steps-title">{t('welcome.stepsTitle')}</h2>
          <ol>
            {steps.map((key, i) => (
              <li key={key}>
                <span class="welcome__num" aria-hidden="true">
                  {i + 1}
                </span>
                <span>{t(`welcome.${key}`)}</span>
              </li>
            ))}
          </ol>
          <p class="welcome__privacy">
            <Icon name="info" />
            <span>{t('welcome.privacy')}</span>
          </p>
        </div>
      </div>
    </section>
  );
}
