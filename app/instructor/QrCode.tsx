'use client';
/**
 * A QR code drawn as SVG in the page from the `qrcode` library's matrix: no image service, no CDN, no
 * markup injected (the URL never becomes HTML), and it scales crisply on a projector.
 */
import { useMemo } from 'react';
import QRCode from 'qrcode';

/** The quiet zone the QR standard asks for around the symbol, in modules. */
const MARGIN = 4;

export function QrCode({ text, label, size = 320 }: { text: string; label: string; size?: number }) {
  const { path, modules } = useMemo(() => {
    // Level M survives a smudged projector screen and keeps a ~40-character URL at a small version.
    const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
    const n = qr.modules.size;
    let d = '';
    for (let row = 0; row < n; row++) for (let col = 0; col < n; col++) if (qr.modules.get(row, col)) d += `M${col + MARGIN} ${row + MARGIN}h1v1h-1z`;
    return { path: d, modules: n + 2 * MARGIN };
  }, [text]);
  return (
    <svg
      role="img"
      aria-label={label}
      data-testid="join-qr"
      width={size}
      height={size}
      viewBox={`0 0 ${modules} ${modules}`}
      shapeRendering="crispEdges"
      className="join-qr"
    >
      <rect width={modules} height={modules} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
