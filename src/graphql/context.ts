import type { YogaInitialContext } from 'graphql-yoga';
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { EventBus } from '../events/event-bus.js';
import type { Services } from '../services/services.js';
import type { Loaders } from './loaders.js';

/** What buildYoga receives; the same object becomes part of every operation's context. */
export interface GraphqlDeps {
  services: Services;
  bus: EventBus;
  config: Config;
  logger: Logger;
}

/** Over WebSocket, ws.ts adds the graphql-ws connection params (see attachGraphqlWs). */
export interface GraphqlContext extends YogaInitialContext, GraphqlDeps {
  connectionParams?: Readonly<Record<string, unknown>>;
  /** Created for each operation, so batches never outlive it. */
  loaders: Loaders;
}
