/**
 * The two small HTML pages of the confirmation link (pure). Opening the link only shows a
 * button: mail scanners and link previews fetch links with GET, and must not confirm an
 * address on their own; the button POSTs the token back.
 */
export function confirmationFormPage(token: string): string {
  const action = `./${encodeURIComponent(token)}?format=html`;
  return page('Confirm fleethook alerts', [
    '<p>Someone added this e-mail address to receive failure alerts for a fleethook webhook subscription.</p>',
    '<p>Nothing is sent to it until you confirm. If you did not expect this, ignore the message: the link expires on its own.</p>',
    `<form method="post" action="${escapeHtml(action)}"><button type="submit">Confirm: send me these alerts</button></form>`,
  ]);
}

export function confirmationResultPage(result: { readonly kind: 'confirmed'; readonly address: string; readonly subscriptionName: string } | { readonly kind: 'refused' }): string {
  if (result.kind === 'refused') return page('Link not valid', ['<p>This confirmation link is unknown, expired or already used. Ask the subscription\'s owner to add the address again.</p>']);
  return page('Address confirmed', [`<p>${escapeHtml(result.address)} now receives alerts for the webhook "${escapeHtml(result.subscriptionName)}".</p>`]);
}

function page(title: string, body: readonly string[]): string {
  return ['<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">', `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:sans-serif;max-width:40em;margin:2em auto">', `<h1>${escapeHtml(title)}</h1>`, ...body, '</body></html>'].join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
