// The camera preview box: the latest frame of `kiosk://camera-frame`, mirrored like a selfie, with
// the kiosk's head-sized oval over it (for the photo, the shoulders' line under it when it fits),
// the face box (green: in the guide; amber: to move; red: more than one face) and what the
// candidate should do in words, smoothed over the frames. Without a fresh frame the box shows the
// guide over a neutral background.

import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../components';
import { useI18n } from '../i18n';
import { cardGuideShape, faceRect, faceState, guideShape, type CameraFeed, type FaceState } from './cameraFeed';

const FACE_ICONS: Record<FaceState, string> = { ok: 'check', outside: 'alert', many: 'staff', none: 'info' };
const CARD_ICONS: Record<'ok' | 'outside' | 'none', string> = { ok: 'check', outside: 'alert', none: 'info' };

/**
 * The shade over the picture outside the guide: `children` is the guide's cut-out (drawn black in
 * the mask). The shade reaches past the box to the edges of any frame.
 */
function GuideShade(props: { id: string; width: number; height: number; children: ComponentChildren }) {
  const { id, width, height } = props;
  return (
    <>
      <defs>
        <mask id={id} maskUnits="userSpaceOnUse" x={-width} y={-height} width={3 * width} height={3 * height}>
          <rect x={-width} y={-height} width={3 * width} height={3 * height} fill="#fff" />
          {props.children}
        </mask>
      </defs>
      <rect x={-width} y={-height} width={3 * width} height={3 * height} fill="rgba(10, 25, 47, 0.38)" mask={`url(#${id})`} />
    </>
  );
}

/** The element's size in px, following resizes (null until measured). */
function useSize(ref: RefObject<HTMLElement>): { width: number; height: number } | null {
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const rect = entries[0]?.contentRect;
      if (rect) setSize({ width: rect.width, height: rect.height });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return size;
}

export function CameraPreview(props: {
  guide: 'face' | 'portrait';
  label: string;
  hint: string;
  /** The caption when the guide leaves no room for the photo's shoulders line (else `hint`). */
  headOnlyHint?: string;
  feed: CameraFeed;
  recording?: boolean;
  /** Shown over the picture (the photo countdown). */
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const frameRef = useRef<HTMLDivElement>(null);
  const size = useSize(frameRef);
  const { frame, fps, guidance } = props.feed;
  const state = frame && guidance ? faceState(guidance) : null;
  const box = frame && state !== 'none' ? faceRect(frame, size) : null;
  const shape = guideShape(props.guide, props.feed.guide, size);
  const mask = `guide-mask-${props.guide}`;
  return (
    <figure
      class={`camera camera--${props.guide} ${props.recording ? 'is-recording' : ''} ${frame ? 'has-frame' : ''}`}
      aria-label={props.label}
      data-fps={fps}
      data-seq={frame ? frame.seq : undefined}
    >
      <div class="camera__frame" ref={frameRef}>
        <img id="camera-preview" class="camera__image" alt="" src={frame ? `data:image/jpeg;base64,${frame.jpeg}` : undefined} />
        <svg
          class="camera__guide"
          viewBox={`0 0 ${shape.width} ${shape.height}`}
          preserveAspectRatio="none"
          aria-hidden="true"
          data-guide={props.feed.guide ? 'frame' : 'default'}
        >
          <GuideShade id={mask} width={shape.width} height={shape.height}>
            <ellipse cx={shape.cx} cy={shape.cy} rx={shape.rx} ry={shape.ry} fill="#000" />
          </GuideShade>
          <ellipse
            class="camera__oval"
            cx={shape.cx}
            cy={shape.cy}
            rx={shape.rx}
            ry={shape.ry}
            fill="none"
            stroke="#fff"
            stroke-width={shape.stroke}
            stroke-dasharray={shape.dash}
          />
          {shape.shoulders ? (
            <path class="camera__shoulders" d={shape.shoulders} fill="none" stroke="#fff" stroke-width={shape.stroke} stroke-dasharray={shape.dash} />
          ) : null}
        </svg>
        {box && state ? (
          <div
            id="face-box"
            class={`face-box face-box--${state}`}
            aria-hidden="true"
            style={{
              left: `${box.left.toFixed(2)}%`,
              top: `${box.top.toFixed(2)}%`,
              width: `${box.width.toFixed(2)}%`,
              height: `${box.height.toFixed(2)}%`,
            }}
          />
        ) : null}
        {/* always in the page, so screen readers announce each change of its text */}
        <p
          id="face-hint"
          class={`camera__status ${state ? `camera__status--${state}` : ''}`}
          role="status"
          data-state={state ?? undefined}
          data-hint={state ? guidance : undefined}
        >
          {state && guidance ? (
            <>
              <Icon name={FACE_ICONS[state]} />
              <span>{t(`camera.hint.${guidance}`)}</span>
            </>
          ) : null}
        </p>
        {props.children}
      </div>
      <figcaption class="camera__hint">{props.guide === 'portrait' && !shape.shoulders && props.headOnlyHint ? props.headOnlyHint : props.hint}</figcaption>
    </figure>
  );
}

/**
 * The card step's preview box: the latest card frame as the camera sees it — NOT mirrored, so the
 * card's text reads the right way round — with the card-shaped frame the kiosk sends as `guide`
 * (a rounded rectangle), and what the candidate should do (`hint`, from `kiosk://card-capture`)
 * over the picture. No face box: the card step has none.
 */
export function CardPreview(props: {
  label: string;
  /** The caption under the picture. */
  caption: string;
  /** What to do now, and how it reads (null: nothing to say yet). */
  hint: { text: string; tone: 'ok' | 'outside' | 'none'; code: string } | null;
  feed: CameraFeed;
}) {
  const frameRef = useRef<HTMLDivElement>(null);
  const size = useSize(frameRef);
  const { frame, fps } = props.feed;
  const shape = cardGuideShape(props.feed.guide, size);
  const mask = 'guide-mask-card';
  return (
    <figure
      class={`camera camera--card ${frame ? 'has-frame' : ''}`}
      aria-label={props.label}
      data-fps={fps}
      data-seq={frame ? frame.seq : undefined}
      data-mirrored="false"
    >
      <div class="camera__frame" ref={frameRef}>
        <img id="camera-preview" class="camera__image camera__image--plain" alt="" src={frame ? `data:image/jpeg;base64,${frame.jpeg}` : undefined} />
        <svg
          class="camera__guide"
          viewBox={`0 0 ${shape.width} ${shape.height}`}
          preserveAspectRatio="none"
          aria-hidden="true"
          data-guide={props.feed.guide ? 'frame' : 'default'}
        >
          <GuideShade id={mask} width={shape.width} height={shape.height}>
            <rect x={shape.x} y={shape.y} width={shape.w} height={shape.h} rx={shape.rx} ry={shape.rx} fill="#000" />
          </GuideShade>
          <rect
            class="camera__card"
            id="card-guide"
            x={shape.x}
            y={shape.y}
            width={shape.w}
            height={shape.h}
            rx={shape.rx}
            ry={shape.rx}
            fill="none"
            stroke="#fff"
            stroke-width={shape.stroke}
            stroke-dasharray={shape.dash}
          />
        </svg>
        {/* always in the page, so screen readers announce each change of its text */}
        <p
          id="card-hint"
          class={`camera__status ${props.hint ? `camera__status--${props.hint.tone}` : ''}`}
          role="status"
          data-hint={props.hint?.code}
        >
          {props.hint ? (
            <>
              <Icon name={CARD_ICONS[props.hint.tone]} />
              <span>{props.hint.text}</span>
            </>
          ) : null}
        </p>
      </div>
      <figcaption class="camera__hint">{props.caption}</figcaption>
    </figure>
  );
}
