/** The learner e-mail in each supported language. `{name}`, `{title}`, `{issuer}` and `{url}` are filled in. */
export const MAIL_LANGUAGES = ['en', 'es', 'pt', 'de', 'el'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

interface MailText {
  subject: string;
  greeting: string;
  body: string;
  action: string;
  footer: string;
}

export const credentialIssuedMail: Record<MailLanguage, MailText> = {
  en: {
    subject: 'Your micro-credential: {title}',
    greeting: 'Hello {name},',
    body: '{issuer} has awarded you the micro-credential "{title}". It is signed, so anyone can check that it is genuine.',
    action: 'View, download and share it',
    footer: 'You receive this e-mail because you earned a credential in your course.',
  },
  es: {
    subject: 'Su microcredencial: {title}',
    greeting: 'Hola, {name}:',
    body: '{issuer} le ha otorgado la microcredencial «{title}». Está firmada, así que cualquiera puede comprobar que es auténtica.',
    action: 'Verla, descargarla y compartirla',
    footer: 'Recibe este correo porque ha obtenido una credencial en su curso.',
  },
  pt: {
    subject: 'A sua microcredencial: {title}',
    greeting: 'Olá {name},',
    body: '{issuer} atribuiu-lhe a microcredencial «{title}». Está assinada, por isso qualquer pessoa pode verificar que é autêntica.',
    action: 'Ver, descarregar e partilhar',
    footer: 'Recebe este e-mail porque obteve uma credencial no seu curso.',
  },
  de: {
    subject: 'Ihr Micro-Credential: {title}',
    greeting: 'Hallo {name},',
    body: '{issuer} hat Ihnen das Micro-Credential „{title}“ verliehen. Es ist signiert, sodass jeder seine Echtheit prüfen kann.',
    action: 'Ansehen, herunterladen und teilen',
    footer: 'Sie erhalten diese E-Mail, weil Sie in Ihrem Kurs ein Credential erworben haben.',
  },
  el: {
    subject: 'Το μικροδιαπιστευτήριό σας: {title}',
    greeting: 'Γεια σας {name},',
    body: 'Ο φορέας {issuer} σας απένειμε το μικροδιαπιστευτήριο «{title}». Είναι ψηφιακά υπογεγραμμένο, ώστε οποιοσδήποτε να μπορεί να ελέγξει τη γνησιότητά του.',
    action: 'Προβολή, λήψη και κοινοποίηση',
    footer: 'Λαμβάνετε αυτό το μήνυμα επειδή αποκτήσατε ένα διαπιστευτήριο στο μάθημά σας.',
  },
};

/** Picks the language from a locale such as `pt-BR` or `el_GR`; English when unsupported. */
export function mailLanguage(locale: string | undefined | null): MailLanguage {
  const lang = (locale ?? '').toLowerCase().split(/[-_]/)[0] as MailLanguage;
  return MAIL_LANGUAGES.includes(lang) ? lang : 'en';
}
