import { useState } from 'preact/hooks';
import { Button, Modal } from '../components';
import { useI18n } from '../i18n';
import { Markdown } from '../markdown';
import type { DeclarationItem, Documents, View } from '../types';
import { Screen, type Busy, type CandidateActions } from './Screen';

function DeclarationQuestion(props: { item: DeclarationItem; value: boolean | undefined; onChange: (value: boolean) => void }) {
  const { t, pick } = useI18n();
  const labelId = `decl-${props.item.key.replace(/[^a-z0-9]+/gi, '-')}`;
  const option = (value: boolean) => (
    <button
      type="button"
      role="radio"
      aria-checked={props.value === value}
      class={`choice ${props.value === value ? 'is-selected' : ''}`}
      data-value={String(value)}
      onClick={() => props.onChange(value)}
    >
      {t(value ? 'pledge.yes' : 'pledge.no')}
    </button>
  );
  return (
    <li class="declaration__item" data-key={props.item.key}>
      <span class="declaration__question" id={labelId}>
        {pick(props.item)}
      </span>
      <span class="choices" role="radiogroup" aria-labelledby={labelId}>
        {option(true)}
        {option(false)}
      </span>
    </li>
  );
}

export function Pledge(props: { view: View; docs: Documents | null; actions: CandidateActions; busy: Busy }) {
  const { t, pick } = useI18n();
  const [answers, setAnswers] = useState<Record<string, boolean>>({});
  const [confirmDecline, setConfirmDecline] = useState(false);
  const items = props.docs?.declaration ?? [];
  const missing = items.filter((item) => answers[item.key] === undefined).length;
  const working = props.busy.has('acceptPledge') || props.busy.has('declinePledge');

  const accept = () => props.actions.acceptPledge(items.map((item) => ({ key: item.key, value: answers[item.key] === true })));

  return (
    <Screen
      name="pledge"
      title={t('pledge.title')}
      lead={t('pledge.lead')}
      view={props.view}
      class={items.length ? 'screen--split screen--pledge-split' : ''}
      actions={
        <>
          {missing > 0 ? (
            <p class="actions-hint" id="answer-all" role="status">
              {t('pledge.answerAll', { n: missing })}
            </p>
          ) : null}
          <Button id="decline-pledge" variant="secondary" disabled={working} onClick={() => setConfirmDecline(true)}>
            {t('pledge.decline')}
          </Button>
          <Button
            id="accept-pledge"
            busy={props.busy.has('acceptPledge')}
            disabled={working || !props.docs || missing > 0}
            describedBy={missing > 0 ? 'answer-all' : undefined}
            onClick={accept}
          >
            {t('pledge.accept')}
          </Button>
        </>
      }
    >
      <div class="document" tabIndex={0} aria-label={t('pledge.title')} data-testid="pledge-text">
        {props.docs ? <Markdown source={pick(props.docs.pledge)} /> : <span class="spinner" aria-hidden="true" />}
        {props.docs ? <p class="doc-version">{t('pledge.version', { version: props.docs.pledge.version })}</p> : null}
      </div>
      {items.length ? (
        <div class="declaration">
          <h2 class="declaration__title">{t('pledge.declarationTitle')}</h2>
          <p class="declaration__hint">{t('pledge.declarationHint')}</p>
          <ul class="declaration__list">
            {items.map((item) => (
              <DeclarationQuestion
                key={item.key}
                item={item}
                value={answers[item.key]}
                onChange={(value) => setAnswers({ ...answers, [item.key]: value })}
              />
            ))}
          </ul>
        </div>
      ) : null}
      {confirmDecline ? (
        <Modal titleId="decline-title" onEscape={() => setConfirmDecline(false)}>
          <h2 id="decline-title" class="modal__title">
            {t('pledge.declineTitle')}
          </h2>
          <p class="modal__body">{t('pledge.declineBody')}</p>
          <div class="modal__actions">
            <Button variant="secondary" id="decline-back" autoFocus onClick={() => setConfirmDecline(false)}>
              {t('pledge.declineBack')}
            </Button>
            <Button
              variant="danger"
              id="decline-confirm"
              busy={props.busy.has('declinePledge')}
              onClick={() => {
                setConfirmDecline(false);
                props.actions.declinePledge();
              }}
            >
              {t('pledge.declineConfirm')}
            </Button>
          </div>
        </Modal>
      ) : null}
    </Screen>
  );
}
