// ltijs ships no types; the bench uses three of its calls, typed where they are used.
declare module 'ltijs';
