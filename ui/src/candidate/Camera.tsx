// The camera preview box. The preview image arrives later (Rust will fill `#camera-preview`); until
// then the box shows the guide over a neutral background.

export function CameraPreview(props: { guide: 'face' | 'portrait'; label: string; hint: string; recording?: boolean }) {
  return (
    <figure class={`camera camera--${props.guide} ${props.recording ? 'is-recording' : ''}`} aria-label={props.label}>
      <div class="camera__frame">
        <img id="camera-preview" class="camera__image" alt="" />
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
      </div>
      <figcaption class="camera__hint">{props.hint}</figcaption>
    </figure>
  );
}
