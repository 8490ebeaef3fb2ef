// The page's HTML shell: a strict CSP, one nonce'd script, one stylesheet. The content is built
// by the script from localized strings, so nothing here depends on data.

export interface PageAssets {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  lang: string;
}

const attr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The toolkit styles its elements with constructable stylesheets (adoptedStyleSheets), which CSP
    // does not govern; its one <style> tag (a :focus-visible probe) takes the nonce from <meta property="csp-nonce">.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    "connect-src 'none'",
  ].join('; ');
}

export function monitorHtml(a: PageAssets): string {
  return `<!DOCTYPE html>
<html lang="${attr(a.lang)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(a.cspSource, a.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${attr(a.nonce)}">
<link rel="stylesheet" href="${attr(a.styleUri)}">
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${attr(a.nonce)}" src="${attr(a.scriptUri)}"></script>
</body>
</html>`;
}
