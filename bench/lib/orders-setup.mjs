// Runs inside the platform process for bench:orders (startPlatform's `setup`): a region, an HQ and
// a regional warehouse, products with stock, one gold dealer with credit and a portal buyer per
// client; then answers CHECK with the consistency of stock and credit after the run.
// Set-up goes through the plug-ins' services, as the e2e tests do; the check reads the tables.

const STOCK_IN = ['receipt', 'return', 'transfer_in', 'adjustment'];
const STOCK_OUT = ['transfer_out', 'shipment'];
/** Orders that still hold all of their stock (nothing shipped, nothing given back). */
const HOLDING = ['submitted', 'pending_approval', 'allocated'];

export const skuOf = (i) => `BENCH-${String(i + 1).padStart(2, '0')}`;

/** `tight`: little stock and credit, so orders run into OUT_OF_STOCK and finance approval. */
export default async function setUpOrders(env, { clients = 20, products = 10, tight = false } = {}) {
  const { strapi } = env;
  const stockPerWarehouse = tight ? 200 : 1_000_000;
  const limitCents = tight ? 500_000 : 1e12;

  const region = await strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East' } });
  const warehouses = [
    { code: 'WH-HQ', name: 'HQ', level: 'hq', region: null },
    { code: 'WH-EAST', name: 'East', level: 'regional', region: region.id },
  ];
  for (const data of warehouses) await strapi.db.query('plugin::orders.warehouse').create({ data });
  const stock = strapi.plugin('orders').service('stock');
  for (let i = 0; i < products; i++) {
    const sku = skuOf(i);
    await strapi.db.query('plugin::orders.product').create({ data: { sku, name: `Bench product ${i + 1}`, category: 'bench', basePriceMinor: 10_000 + 500 * i, currency: 'CNY' } });
    for (const w of warehouses) await stock.receive({ sku, warehouseCode: w.code, quantity: stockPerWarehouse, idempotencyKey: `bench-receipt-${sku}-${w.code}`, actor: 'bench' });
  }

  const jwts = [];
  for (let c = 0; c < clients; c++) {
    const dealer = await env.createDealer({ code: `BENCH${String(c + 1).padStart(3, '0')}`, name: `Bench dealer ${c + 1}` });
    await strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { region: region.id, tier: 'gold' } });
    await strapi.plugin('dealers').service('credit').openAccount({ dealerId: dealer.id, limitCents, currency: 'CNY' });
    jwts.push((await env.asDealer(dealer, 'buyer')).user.jwt);
  }
  return {
    ready: { baseUrl: env.baseUrl, jwts, skus: Array.from({ length: products }, (_, i) => skuOf(i)) },
    commands: { CHECK: () => checkConsistency(strapi.db.connection), PROGRESS: () => fulfilmentProgress(strapi.db.connection) },
  };
}

/** Statuses of an order whose shipments were allocated (the fulfilment process's first job ran). */
const ALLOCATED = ['allocated', 'shipped', 'delivered', 'invoiced', 'closed'];
/** Orders that wait for no one but the fulfilment process (not finance, not cancelled). */
const TO_ALLOCATE = ['submitted', ...ALLOCATED];

/** How far fulfilment got: orders placed that need allocating, and how many are allocated. */
async function fulfilmentProgress(knex) {
  const rows = await knex('orders').whereIn('status', TO_ALLOCATE).groupBy('status').select('status', knex.raw('count(*) as c'));
  const count = (statuses) => rows.filter((r) => statuses.includes(r.status)).reduce((sum, r) => sum + Number(r.c), 0);
  return { placed: count(TO_ALLOCATE), allocated: count(ALLOCATED), at: Date.now() };
}

/**
 * Stock: every level's reserved is what its orders' reservation − release − shipment movements
 * hold, on hand the signed sum of its movements, nothing negative, on hand ≥ reserved; every
 * order still holding stock holds exactly its lines (less what is back-ordered).
 * Credit: every account's reserved_cents is its reserve − release entries, and equals the totals
 * of its orders that hold a credit reservation and are not cancelled.
 */
async function checkConsistency(knex) {
  const problems = [];
  const n = (v) => Number(v ?? 0);
  const sumOf = (kinds, sign = 1) => `sum(case when m.kind in (${kinds.map((k) => `'${k}'`).join(', ')}) then ${sign} * m.quantity else 0 end)`;

  const levels = await knex('order_stock_levels as l')
    .leftJoin('order_stock_movements as m', function join() {
      this.on('m.product_id', '=', 'l.product_id').andOn('m.warehouse_id', '=', 'l.warehouse_id');
    })
    .groupBy('l.id', 'l.sku', 'l.warehouse_code', 'l.on_hand', 'l.reserved', 'l.in_transit')
    .select(
      'l.id',
      'l.sku',
      'l.warehouse_code',
      'l.on_hand',
      'l.reserved',
      'l.in_transit',
      knex.raw(`coalesce(${sumOf(['reservation'])} + ${sumOf(['release', 'shipment'], -1)}, 0) as movement_reserved`),
      knex.raw(`coalesce(${sumOf(STOCK_IN)} + ${sumOf(STOCK_OUT, -1)}, 0) as movement_on_hand`),
    );
  for (const l of levels) {
    const at = `stock ${l.sku}@${l.warehouse_code}`;
    if (n(l.reserved) !== n(l.movement_reserved)) problems.push(`${at}: reserved ${l.reserved}, movements hold ${l.movement_reserved}`);
    if (n(l.on_hand) !== n(l.movement_on_hand)) problems.push(`${at}: on hand ${l.on_hand}, movements sum to ${l.movement_on_hand}`);
    if (n(l.on_hand) < 0 || n(l.reserved) < 0 || n(l.in_transit) < 0) problems.push(`${at}: negative (on hand ${l.on_hand}, reserved ${l.reserved}, in transit ${l.in_transit})`);
    if (n(l.on_hand) < n(l.reserved)) problems.push(`${at}: on hand ${l.on_hand} below reserved ${l.reserved}`);
  }

  // What each order holds per product × warehouse (never negative), and per product against its lines.
  const holds = await knex('order_stock_movements as m')
    .whereIn('m.kind', ['reservation', 'release', 'shipment'])
    .groupBy('m.order_id', 'm.product_id', 'm.warehouse_id')
    .select('m.order_id', 'm.product_id', 'm.warehouse_id', knex.raw(`${sumOf(['reservation'])} + ${sumOf(['release', 'shipment'], -1)} as held`));
  const heldByOrderProduct = new Map();
  for (const h of holds) {
    if (h.order_id === null) {
      problems.push(`${h.held} units reserved/released/shipped without an order (product ${h.product_id}, warehouse ${h.warehouse_id})`);
      continue;
    }
    if (n(h.held) < 0) problems.push(`order ${h.order_id}: holds ${h.held} of product ${h.product_id} in warehouse ${h.warehouse_id}`);
    const key = `${n(h.order_id)}:${n(h.product_id)}`;
    heldByOrderProduct.set(key, (heldByOrderProduct.get(key) ?? 0) + n(h.held));
  }
  const orders = await knex('orders').select('id', 'number', 'dealer_id', 'order_status as status', 'total_minor', 'credit_reservation_key', 'fulfilment_process_key');
  const orderById = new Map(orders.map((o) => [n(o.id), o]));
  for (const key of heldByOrderProduct.keys()) {
    if (!orderById.has(n(key.split(':')[0]))) problems.push(`stock held for order ${key.split(':')[0]}, which does not exist`);
  }
  const lines = await knex('order_lines').select('order_id', 'product_id', 'quantity', 'backordered_quantity');
  for (const line of lines) {
    const order = orderById.get(n(line.order_id));
    if (!order) {
      problems.push(`order line of order ${line.order_id}, which does not exist`);
      continue;
    }
    if (!HOLDING.includes(order.status)) continue;
    const wanted = n(line.quantity) - n(line.backordered_quantity);
    const held = heldByOrderProduct.get(`${n(line.order_id)}:${n(line.product_id)}`) ?? 0;
    if (held !== wanted) problems.push(`order ${order.number} (${order.status}): holds ${held} of product ${line.product_id}, its line wants ${wanted}`);
  }

  const accounts = await knex('dealer_credit_accounts').select('dealer_id', 'reserved_cents', 'receivable_cents');
  const entries = await knex('dealer_credit_entries')
    .whereIn('kind', ['reserve', 'release'])
    .groupBy('dealer_id')
    .select('dealer_id', knex.raw(`sum(case when kind = 'reserve' then amount_cents else -amount_cents end) as reserved`));
  const ledgerReserved = new Map(entries.map((e) => [n(e.dealer_id), n(e.reserved)]));
  const orderReserved = new Map();
  for (const o of orders) {
    if (o.credit_reservation_key && o.status !== 'cancelled') orderReserved.set(n(o.dealer_id), (orderReserved.get(n(o.dealer_id)) ?? 0) + n(o.total_minor));
  }
  for (const a of accounts) {
    const at = `credit of dealer ${a.dealer_id}`;
    const reserved = n(a.reserved_cents);
    if (reserved < 0 || n(a.receivable_cents) < 0) problems.push(`${at}: negative (reserved ${a.reserved_cents}, receivable ${a.receivable_cents})`);
    if (reserved !== (ledgerReserved.get(n(a.dealer_id)) ?? 0)) problems.push(`${at}: reserved ${reserved}, ledger reserve − release ${ledgerReserved.get(n(a.dealer_id)) ?? 0}`);
    if (reserved !== (orderReserved.get(n(a.dealer_id)) ?? 0)) problems.push(`${at}: reserved ${reserved}, its orders holding credit total ${orderReserved.get(n(a.dealer_id)) ?? 0}`);
  }
  for (const dealerId of new Set([...ledgerReserved.keys(), ...orderReserved.keys()])) {
    if (!accounts.some((a) => n(a.dealer_id) === dealerId)) problems.push(`credit reserved for dealer ${dealerId}, who has no credit account`);
  }

  const byStatus = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  return {
    inconsistencies: problems.length,
    problems: problems.slice(0, 20),
    orders: orders.length,
    byStatus,
    // Fulfilment starts off the request path (the outbox dispatcher): how far it got by the end of the run.
    fulfilmentStarted: orders.filter((o) => o.fulfilment_process_key).length,
    levels: levels.length,
    movements: n((await knex('order_stock_movements').count({ c: '*' }))[0].c),
    creditAccounts: accounts.length,
    reservedUnits: levels.reduce((sum, l) => sum + n(l.reserved), 0),
    reservedCents: accounts.reduce((sum, a) => sum + n(a.reserved_cents), 0),
  };
}
