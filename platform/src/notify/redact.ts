import { REDACTED } from '../templates/helpers';
import type { MailBody } from './sealed-body';

/**
 * Query parameters that carry one-time secrets in links: Strapi's password reset (`code`), e-mail
 * confirmation (`confirmation`), admin registration and reset tokens, and the platform's own
 * `token` links. The value must look like a token (16+ URL-safe characters) so ordinary
 * parameters survive. `=` may be HTML-encoded, as Handlebars writes it inside href attributes.
 */
const SECRET_PARAM = /([?&](?:amp;)?(?:code|confirmation|token|resetPasswordToken|registrationToken)(?:=|&#x3D;|&#61;|%3D))[A-Za-z0-9_\-.~%]{16,}/gi;

/** The body with every given secret value, and every secret-looking link parameter, shown as [redacted]. */
export function redactBody(body: MailBody, secrets: ReadonlyArray<string | null | undefined>): MailBody {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort((a, b) => b.length - a.length);
  const redact = (text: string) => {
    let out = text;
    for (const value of values) out = out.split(value).join(REDACTED);
    return out.replace(SECRET_PARAM, `$1${REDACTED}`);
  };
  return { subject: redact(body.subject), html: redact(body.html), text: redact(body.text) };
}

export function sameBody(a: MailBody, b: MailBody): boolean {
  return a.subject === b.subject && a.html === b.html && a.text === b.text;
}
