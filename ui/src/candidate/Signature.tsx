import { useEffect, useRef, useState } from 'preact/hooks';
import { ArtefactImage, Button, ReasonNotice } from '../components';
import { useI18n } from '../i18n';
import { PAD_ASPECT, StrokeRecorder, type PointerSample } from '../signature';
import type { StrokePoint, View } from '../types';
import { Screen, type Busy, type CandidateActions } from './Screen';

function sampleOf(event: PointerEvent): PointerSample {
  return { clientX: event.clientX, clientY: event.clientY, pressure: event.pressure, timeStamp: event.timeStamp };
}

/** Ink width in CSS pixels for a pressure in 0..1. */
const inkWidth = (pressure: number, padWidth: number) => (padWidth / 260) * (0.55 + pressure * 0.9);

/**
 * The touch signature pad: draws locally while the finger moves and sends every finished stroke to
 * Rust (`signature_stroke`). The drawing is only a preview; Rust renders the signature it keeps.
 */
export function SignaturePad(props: {
  onStroke: (points: StrokePoint[]) => void;
  onInkChange: (strokes: number) => void;
  label: string;
  placeholder: string;
  disabled?: boolean;
  clearSignal: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const recorder = useRef(new StrokeRecorder());
  const last = useRef<StrokePoint | null>(null);
  const [hasInk, setHasInk] = useState(false);

  const context = () => canvas.current?.getContext('2d') ?? null;

  const resize = () => {
    const el = canvas.current;
    if (!el) return;
    const ratio = window.devicePixelRatio || 1;
    const rect = el.getBoundingClientRect();
    el.width = Math.max(1, Math.round(rect.width * ratio));
    el.height = Math.max(1, Math.round(rect.height * ratio));
    const ctx = context();
    ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
  };

  const wipe = () => {
    const el = canvas.current;
    const ctx = context();
    if (el && ctx) ctx.clearRect(0, 0, el.width, el.height);
    recorder.current.clear();
    last.current = null;
    setHasInk(false);
  };

  useEffect(() => {
    resize();
    const onResize = () => {
      // a resize loses the drawing; the strokes already sent to Rust are what counts
      resize();
    };
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  useEffect(() => {
    if (props.clearSignal > 0) wipe();
  }, [props.clearSignal]);

  const drawTo = (point: StrokePoint, rect: DOMRect) => {
    const ctx = context();
    if (!ctx) return;
    const from = last.current ?? point;
    ctx.strokeStyle = '#10213a';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = inkWidth(point.pressure, rect.width);
    ctx.beginPath();
    ctx.moveTo(from.x * rect.width, from.y * rect.height);
    ctx.lineTo(point.x * rect.width + (from === point ? 0.01 : 0), point.y * rect.height);
    ctx.stroke();
    last.current = point;
  };

  const onPointerDown = (event: PointerEvent) => {
    if (props.disabled || !canvas.current) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    event.preventDefault();
    canvas.current.setPointerCapture?.(event.pointerId);
    const rect = canvas.current.getBoundingClientRect();
    last.current = null;
    drawTo(recorder.current.begin(sampleOf(event), rect), rect);
  };

  const onPointerMove = (event: PointerEvent) => {
    if (!recorder.current.drawing || !canvas.current) return;
    event.preventDefault();
    const rect = canvas.current.getBoundingClientRect();
    const samples = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const sample of samples.length ? samples : [event]) {
      const point = recorder.current.move(sampleOf(sample), rect);
      if (point) drawTo(point, rect);
    }
  };

  const onPointerUp = (event: PointerEvent) => {
    if (!recorder.current.drawing) return;
    event.preventDefault();
    const stroke = recorder.current.end();
    last.current = null;
    if (stroke && stroke.length) {
      setHasInk(true);
      props.onInkChange(recorder.current.strokes);
      props.onStroke(stroke);
    }
  };

  return (
    <div class="pad" style={{ aspectRatio: String(PAD_ASPECT) }}>
      <canvas
        ref={canvas}
        class="pad__canvas"
        id="signature-pad"
        role="img"
        aria-label={props.label}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
      {hasInk ? null : (
        <span class="pad__placeholder" aria-hidden="true">
          {props.placeholder}
        </span>
      )}
      <span class="pad__baseline" aria-hidden="true" />
    </div>
  );
}

export function Signature(props: { view: View; actions: CandidateActions; busy: Busy }) {
  const { t } = useI18n();
  const { view } = props;
  const [strokes, setStrokes] = useState(0);
  const [clearSignal, setClearSignal] = useState(0);
  const [submitted, setSubmitted] = useState(false);

  // A new attempt (Rust rejected the signature, or "sign again") starts from an empty pad.
  useEffect(() => {
    setStrokes(0);
    setSubmitted(false);
    setClearSignal((n) => n + 1);
  }, [view.attempt, view.lastReason?.code]);

  if (view.signaturePreview) {
    return (
      <Screen
        name="signature-preview"
        title={t('signature.previewTitle')}
        lead={t('signature.previewLead')}
        view={view}
        actions={
          <>
            <Button
              id="redo-signature"
              variant="secondary"
              busy={props.busy.has('redoSignature')}
              disabled={props.busy.has('acceptSignature')}
              onClick={props.actions.redoSignature}
            >
              {t('signature.redo')}
            </Button>
            <Button
              id="accept-signature"
              busy={props.busy.has('acceptSignature')}
              disabled={props.busy.has('redoSignature')}
              onClick={props.actions.acceptSignature}
            >
              {t('signature.accept')}
            </Button>
          </>
        }
      >
        <div class="pad pad--preview" style={{ aspectRatio: String(PAD_ASPECT) }}>
          <ArtefactImage id={view.signaturePreview} alt={t('signature.previewAlt')} class="pad__image" imgId="signature-preview" />
        </div>
      </Screen>
    );
  }

  const waiting = submitted || props.busy.has('signatureDone');
  return (
    <Screen
      name="signature"
      title={t('signature.title')}
      lead={t('signature.lead')}
      view={view}
      actions={
        <>
          {strokes === 0 && !waiting ? (
            <p class="actions-hint" id="need-ink">
              {t('signature.needInk')}
            </p>
          ) : null}
          {waiting ? (
            <p class="actions-hint" role="status">
              <span class="spinner spinner--inline" aria-hidden="true" />
              {t('signature.rendering')}
            </p>
          ) : null}
          <Button
            id="clear-signature"
            variant="secondary"
            disabled={strokes === 0 || waiting}
            onClick={() => {
              setStrokes(0);
              setClearSignal((n) => n + 1);
              props.actions.signatureClear();
            }}
          >
            {t('signature.clear')}
          </Button>
          <Button
            id="signature-done"
            busy={waiting}
            disabled={strokes === 0}
            describedBy={strokes === 0 ? 'need-ink' : undefined}
            onClick={() => {
              setSubmitted(true);
              void props.actions.signatureDone().then((ok) => {
                if (!ok) setSubmitted(false);
              });
            }}
          >
            {t('signature.done')}
          </Button>
        </>
      }
    >
      {view.lastReason ? <ReasonNotice reason={view.lastReason} id="last-reason" /> : null}
      <SignaturePad
        label={t('signature.padLabel')}
        placeholder={t('signature.placeholder')}
        onStroke={props.actions.signatureStroke}
        onInkChange={setStrokes}
        disabled={waiting}
        clearSignal={clearSignal}
      />
    </Screen>
  );
}
