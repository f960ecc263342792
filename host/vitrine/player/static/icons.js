// The page's icons: inline SVG (the player loads nothing from outside), drawn with
// currentColor so they follow the text colour.

const svg = (body, extra = "") =>
  `<svg viewBox="0 0 48 48" fill="none" stroke="currentColor" stroke-width="3.2" ` +
  `stroke-linecap="round" stroke-linejoin="round" ${extra}>${body}</svg>`;

export const icons = {
  home: svg('<path d="M7 22 24 8l17 14"/><path d="M12 19v20h9V28h6v11h9V19"/>'),
  light: svg(
    '<path d="M17 31c-3-3-5-6-5-10a12 12 0 0 1 24 0c0 4-2 7-5 10-1 1-2 3-2 5H19c0-2-1-4-2-5Z"/>' +
      '<path d="M19 41h10"/>',
  ),
  help: svg(
    '<circle cx="24" cy="24" r="17"/><path d="M19 19a5 5 0 0 1 10 1c0 4-5 4-5 8"/>' +
      '<circle cx="24" cy="34.5" r="1.2" fill="currentColor"/>',
  ),
  heart: svg('<path d="M24 40S7 30 7 18a9 9 0 0 1 17-4 9 9 0 0 1 17 4c0 12-17 22-17 22Z"/>'),
  heartFilled: svg('<path d="M24 40S7 30 7 18a9 9 0 0 1 17-4 9 9 0 0 1 17 4c0 12-17 22-17 22Z" fill="currentColor"/>'),
  card: svg('<rect x="6" y="11" width="36" height="26" rx="4"/><path d="M6 19h36M12 30h8"/>'),
  done: svg('<circle cx="24" cy="24" r="17"/><path d="m16 24 6 6 11-12"/>'),
  back: svg('<path d="M29 10 15 24l14 14"/>'),
  next: svg('<path d="m19 10 14 14-14 14"/>'),
  close: svg('<path d="M13 13l22 22M35 13 13 35"/>'),
  bag: svg('<path d="M10 16h28l-2 24H12Z"/><path d="M18 20v-6a6 6 0 0 1 12 0v6"/>'),
  person: svg('<circle cx="24" cy="16" r="7"/><path d="M10 41c1-8 7-13 14-13s13 5 14 13"/>'),
  check: svg('<path d="m11 25 9 9 17-19"/>'),
  clock: svg('<circle cx="24" cy="24" r="17"/><path d="M24 14v10l7 5"/>'),
  sparkle: svg('<path d="M24 6v12M24 30v12M6 24h12M30 24h12M12 12l6 6M30 30l6 6M36 12l-6 6M18 30l-6 6"/>'),
  backspace: svg('<path d="M17 12h23v24H17L6 24Z"/><path d="m23 19 10 10M33 19 23 29"/>'),
  zoom: svg('<circle cx="21" cy="21" r="12"/><path d="m30 30 10 10M21 15v12M15 21h12"/>'),
  hanger: svg('<path d="M24 14a4 4 0 1 1 4 4c-2 0-4 1-4 3v2L6 35h36L24 23"/>'),
};

/** A face for the rating scale: 1 (very unhappy) to 5 (delighted). */
export function face(score) {
  const mouths = {
    1: '<path d="M15 35c4-6 14-6 18 0"/>',
    2: '<path d="M16 34c4-3 12-3 16 0"/>',
    3: '<path d="M16 32h16"/>',
    4: '<path d="M16 30c4 4 12 4 16 0"/>',
    5: '<path d="M14 28c4 8 16 8 20 0Z" fill="currentColor"/>',
  };
  const brows = score === 1 ? '<path d="M14 15l6 3M34 15l-6 3"/>' : "";
  return svg(
    '<circle cx="24" cy="24" r="20"/>' +
      '<circle cx="17.5" cy="21" r="2.2" fill="currentColor" stroke="none"/>' +
      '<circle cx="30.5" cy="21" r="2.2" fill="currentColor" stroke="none"/>' +
      brows +
      mouths[score],
  );
}
