/** The relay's wire protocol: the seed's messages, their validation and builders, and our negotiated extensions. */
export * from './channel';
export * from './messages';
export * from './close-codes';
export * from './handshake';
export * from './parse';
export * from './builders';
export * from './uri';
