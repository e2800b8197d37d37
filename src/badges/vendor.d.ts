/** The one part of jsdom used here: a window for DOMPurify. (@types/jsdom would bring the DOM lib into every file.) */
declare module 'jsdom' {
  export class JSDOM {
    constructor(html?: string);
    readonly window: unknown;
  }
}
