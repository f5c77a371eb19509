/** The one protocol module: wire types, validation and builders shared by every part. */
export * from './channel';
export * from './messages';
export * from './parse';
export * from './builders';
export * from './uri';
export * from './activity';
export * from './recent-ids';
