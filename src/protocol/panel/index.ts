/** Messages between the extension host and the Live Activity panel, the view state they carry, and its bounds. */
export * from './limits';
export * from './messages';
