export * from './common';
export * from './auth';
export * from './models';
export * from './conversations';
export * from './chat-stream';
export * from './health';
export * from './jobs';
export * from './billing';
