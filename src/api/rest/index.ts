export { registerRestRoutes, restPrefix } from './routes.js';
