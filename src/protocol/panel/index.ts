/** Messages between the extension host and the Live Activity panel, and the view state they carry. */
export * from './messages';
