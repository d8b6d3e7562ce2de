import { useEffect } from 'preact/hooks';
import { ArtefactImage, Button, Icon, useCountdown } from '../components';
import { groupAdmissionNumber } from '../format';
import { useI18n } from '../i18n';
import type { View } from '../types';
import { Screen, type CandidateActions } from './Screen';

export const RESULT_RETURN_SECS = 90;

export function AdmissionNumber(props: { number: string; label: string }) {
  const groups = groupAdmissionNumber(props.number);
  return (
    <div class="admission">
      <span class="admission__label">{props.label}</span>
      <p class="admission__number" id="admission-number" aria-label={`${props.label} ${props.number.split('').join(' ')}`}>
        {groups.map((group, i) => (
          <span class="admission__group" key={i} aria-hidden="true">
            {group}
          </span>
        ))}
      </p>
    </div>
  );
}

export function Result(props: { view: View; actions: CandidateActions; returnSecs?: number }) {
  const { t } = useI18n();
  const { view } = props;
  const left = useCountdown(props.returnSecs ?? RESULT_RETURN_SECS, view.admissionNumber);
  useEffect(() => {
    if (left === 0) props.actions.finish();
  }, [left]);
  return (
    <Screen
      name="result"
      title={t('result.title')}
      lead={t('result.lead')}
      actions={
        <>
          <p class="actions-hint">{t('common.returningIn', { n: left ?? 0 })}</p>
          <Button id="finish" onClick={props.actions.finish}>
            {t('result.done')}
          </Button>
        </>
      }
    >
      <div class="result">
        <div class="result__badge" aria-hidden="true">
          <Icon name="done" />
        </div>
        {view.admissionNumber ? <AdmissionNumber number={view.admissionNumber} label={t('result.admissionLabel')} /> : null}
        <div class="photo-pair">
          <figure>
            <ArtefactImage id={view.images.idPhoto} alt={t('result.idPhoto')} class="photo-pair__img" />
            <figcaption>{t('result.idPhoto')}</figcaption>
          </figure>
          <figure>
            <ArtefactImage id={view.images.registrationPhoto} alt={t('result.registrationPhoto')} class="photo-pair__img" />
            <figcaption>{t('result.registrationPhoto')}</figcaption>
          </figure>
        </div>
      </div>
    </Screen>
  );
}
