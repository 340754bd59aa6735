export { upsertOrders, refundOrder, parseOrders, type UpsertResult } from './service.js';
export { getOrder, listOrders } from './read.js';
export { customerIdentifiers } from './customer.js';
export { OrderInput, OrderView, RefundInput, type ParsedOrder } from './schema.js';
export { registerOrderRoutes } from './routes.js';
