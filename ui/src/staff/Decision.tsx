// Approve / reject a step: a reason code from the relevant Reasons, a required note, and for approve
// an optional second staff sign-in (its token goes out as `secondToken`).

import { useState } from 'preact/hooks';
import * as api from '../api';
import { Button } from '../components';
import { useI18n } from '../i18n';
import type { Reason, StaffCommand } from '../types';

export type DecisionKind = 'approve' | 'reject';

/** The reasons relevant to a decision, each code once, in the order given. */
export function uniqueReasons(...lists: (Reason | null | undefined | Reason[])[]): Reason[] {
  const seen = new Set<string>();
  const out: Reason[] = [];
  for (const item of lists.flat()) {
    if (item && !seen.has(item.code)) {
      seen.add(item.code);
      out.push(item);
    }
  }
  return out;
}

export function buildCommand(kind: DecisionKind, reason: string | null, note: string, secondToken: string | null): StaffCommand {
  return kind === 'approve' ? { kind, reason, note: note.trim(), secondToken } : { kind, reason, note: note.trim() };
}

export function DecisionForm(props: {
  kind: DecisionKind;
  reasons: Reason[];
  /** Sends the command; rejects with a CommandError. */
  submit: (command: StaffCommand) => Promise<void>;
  onCancel?: () => void;
  idPrefix: string;
}) {
  const { t, tOr, pick } = useI18n();
  const [reason, setReason] = useState<string>(props.reasons[0]?.code ?? '');
  const [note, setNote] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<api.CommandError | null>(null);
  const [needSecond, setNeedSecond] = useState(false);
  const [second, setSecond] = useState<{ operator: string; secret: string }>({ operator: '', secret: '' });
  const [secondStaff, setSecondStaff] = useState<{ token: string; operator: string } | null>(null);
  const [secondBusy, setSecondBusy] = useState(false);

  const id = (name: string) => `${props.idPrefix}-${name}`;
  const noteMissing = note.trim() === '';

  const signInSecond = async (event?: Event) => {
    event?.preventDefault();
    setSecondBusy(true);
    setError(null);
    try {
      const staff = await api.staffSignIn(second.operator.trim(), second.secret);
      setSecondStaff({ token: staff.token, operator: staff.operator });
      setSecond({ operator: '', secret: '' });
    } catch (raw) {
      setError(api.toCommandError(raw));
    } finally {
      setSecondBusy(false);
    }
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (noteMissing) return;
    setBusy(true);
    setError(null);
    try {
      await props.submit(buildCommand(props.kind, reason || null, note, secondStaff?.token ?? null));
      if (secondStaff) void api.staffSignOut(secondStaff.token).catch(() => undefined);
    } catch (raw) {
      const failure = api.toCommandError(raw);
      // An approval that needs a second member of staff is refused for the role: ask for one.
      if (props.kind === 'approve' && failure.code === 'staff.role' && !secondStaff) setNeedSecond(true);
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class={`decision decision--${props.kind}`} onSubmit={onSubmit} noValidate data-testid={`decision-${props.kind}`}>
      <div class="field">
        <label for={id('reason')}>{t('staff.decision.reason')}</label>
        <select id={id('reason')} value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
          <option value="">{t('staff.decision.reasonNone')}</option>
          {props.reasons.map((r) => (
            <option value={r.code} key={r.code}>
              {`${r.code} — ${pick(r)}`}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={id('note')}>{t('staff.decision.note')}</label>
        <textarea
          id={id('note')}
          rows={3}
          required
          aria-invalid={touched && noteMissing}
          aria-describedby={touched && noteMissing ? id('note-error') : undefined}
          value={note}
          onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
        />
        {touched && noteMissing ? (
          <p class="field__error" id={id('note-error')} role="alert">
            {t('staff.decision.noteRequired')}
          </p>
        ) : null}
      </div>
      {props.kind === 'approve' ? (
        <fieldset class="second">
          <legend>{t('staff.decision.secondTitle')}</legend>
          {secondStaff ? (
            <p class="second__done" role="status">
              {t('staff.decision.secondDone', { operator: secondStaff.operator })}
            </p>
          ) : needSecond ? (
            <>
              <p class="second__hint">{t('staff.decision.secondHint')}</p>
              <div class="second__fields">
                <div class="field">
                  <label for={id('second-operator')}>{t('staff.signIn.operator')}</label>
                  <input
                    id={id('second-operator')}
                    autoComplete="off"
                    value={second.operator}
                    onInput={(e) => {
                      const operator = (e.target as HTMLInputElement).value;
                      setSecond((current) => ({ ...current, operator }));
                    }}
                  />
                </div>
                <div class="field">
                  <label for={id('second-secret')}>{t('staff.signIn.secret')}</label>
                  <input
                    id={id('second-secret')}
                    type="password"
                    autoComplete="off"
                    value={second.secret}
                    onInput={(e) => {
                      const secret = (e.target as HTMLInputElement).value;
                      setSecond((current) => ({ ...current, secret }));
                    }}
                  />
                </div>
                <Button
                  variant="secondary"
                  size="md"
                  busy={secondBusy}
                  disabled={!second.operator.trim() || !second.secret}
                  onClick={() => void signInSecond()}
                >
                  {t('staff.decision.secondSignIn')}
                </Button>
              </div>
            </>
          ) : (
            <Button variant="quiet" size="md" onClick={() => setNeedSecond(true)} id={id('second-open')}>
              {t('staff.decision.secondNeeded')}
            </Button>
          )}
        </fieldset>
      ) : null}
      {error ? (
        <p class="field__error" role="alert" data-error={error.code}>
          {tOr(`errors.${error.code}`, error.message)}
        </p>
      ) : null}
      <div class="decision__actions">
        {props.onCancel ? (
          <Button variant="secondary" size="md" onClick={props.onCancel}>
            {t('staff.actions.back')}
          </Button>
        ) : null}
        <Button type="submit" variant={props.kind === 'approve' ? 'primary' : 'danger'} size="md" busy={busy} id={id('submit')}>
          {t(props.kind === 'approve' ? 'staff.actions.approve' : 'staff.actions.reject')}
        </Button>
      </div>
    </form>
  );
}
