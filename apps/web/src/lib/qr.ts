// QR codes come from the `qrcode` package, loaded on first use (it is not needed to
// start the app). The result is a data: URL image, which the CSP's img-src allows.

/** Quiet zone around the code, in modules; 4 is the QR standard's minimum. */
const QUIET_ZONE_MODULES = 4;
/** Rendered size, in px; the image scales down with CSS. */
const QR_SIZE_PX = 320;

export async function qrDataUrl(text: string): Promise<string> {
  const { toDataURL } = await import('qrcode');
  return toDataURL(text, { errorCorrectionLevel: 'M', margin: QUIET_ZONE_MODULES, width: QR_SIZE_PX });
}
