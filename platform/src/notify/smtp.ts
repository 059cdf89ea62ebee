/** Delivery is real only when an SMTP server is configured; otherwise mail stays in the outbox. */
export const smtpConfigured = () => Boolean(process.env.SMTP_HOST);

export const NOT_SENT_NO_SMTP = 'not sent: no SMTP configured';
