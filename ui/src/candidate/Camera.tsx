// The camera preview box: the latest frame of `kiosk://camera-frame`, mirrored like a selfie, with
// the guide over it, the face box (green: in the guide; amber: not; red: more than one face) and
// what it means in words. Without a fresh frame the box shows the guide over a neutral background.

import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../components';
import { useI18n } from '../i18n';
import { faceRect, faceState, type CameraFeed, type FaceState } from './cameraFeed';

const FACE_ICONS: Record<FaceState, string> = { ok: 'check', outside: 'alert', many: 'staff', none: 'info' };

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
  feed: CameraFeed;
  recording?: boolean;
  /** Shown over the picture (the photo countdown). */
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const frameRef = useRef<HTMLDivElement>(null);
  const size = useSize(frameRef);
  const { frame, fps } = props.feed;
  const state = frame ? faceState(frame) : null;
  const box = frame && state !== 'none' ? faceRect(frame, size) : null;
  return (
    <figure
      class={`camera camera--${props.guide} ${props.recording ? 'is-recording' : ''} ${frame ? 'has-frame' : ''}`}
      aria-label={props.label}
      data-fps={fps}
      data-seq={frame ? frame.seq : undefined}
    >
      <div class="camera__frame" ref={frameRef}>
        <img id="camera-preview" class="camera__image" alt="" src={frame ? `data:image/jpeg;base64,${frame.jpeg}` : undefined} />
        <svg class="camera__guide" viewBox="0 0 300 400" preserveAspectRatio="xMidYMid meet" aria-hidden="true">
          <defs>
            {/* the shade reaches past the 3:4 guide area to the edges of any frame */}
            <mask id={`guide-mask-${props.guide}`} maskUnits="userSpaceOnUse" x="-2000" y="-2000" width="4300" height="4400">
              <rect x="-2000" y="-2000" width="4300" height="4400" fill="#fff" />
              <ellipse cx="150" cy={props.guide === 'portrait' ? 165 : 190} rx="88" ry="116" fill="#000" />
            </mask>
          </defs>
          <rect x="-2000" y="-2000" width="4300" height="4400" fill="rgba(10, 25, 47, 0.38)" mask={`url(#guide-mask-${props.guide})`} />
          <ellipse
            class="camera__oval"
            cx="150"
            cy={props.guide === 'portrait' ? 165 : 190}
            rx="88"
            ry="116"
            fill="none"
            stroke="#fff"
            stroke-width="4"
            stroke-dasharray="14 10"
          />
          {props.guide === 'portrait' ? (
            <path class="camera__shoulders" d="M30 372c18-62 70-84 120-84s102 22 120 84" fill="none" stroke="#fff" stroke-width="4" stroke-dasharray="14 10" />
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
        <p id="face-hint" class={`camera__status ${state ? `camera__status--${state}` : ''}`} role="status" data-state={state ?? undefined}>
          {state ? (
            <>
              <Icon name={FACE_ICONS[state]} />
              <span>{t(`camera.face.${state}`)}</span>
            </>
          ) : null}
        </p>
        {props.children}
      </div>
      <figcaption class="camera__hint">{props.hint}</figcaption>
    </figure>
  );
}
