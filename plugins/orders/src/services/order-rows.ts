import type { resolvePrice } from './pricing';
import { orderStateMachine, type OrderStatus } from './order-status';

/** An order line as stored: the product, the quantity and the price the server resolved for it. */
export function toLineRow(
  orderId: number,
  line: { lineNo: number; product: { id: number; sku: string; name: string }; quantity: number; quotedUnitPriceMinor?: number | null; price: ReturnType<typeof resolvePrice> },
  backorderedQuantity = 0,
) {
  return {
    orderId,
    lineNo: line.lineNo,
    productId: line.product.id,
    sku: line.product.sku,
    name: line.product.name,
    quantity: line.quantity,
    backorderedQuantity,
    listPriceMinor: line.price.listPriceMinor,
    unitPriceMinor: line.price.unitPriceMinor,
    discountBasisPoints: line.price.discountBasisPoints,
    lineTotalMinor: line.price.lineTotalMinor,
    quotedUnitPriceMinor: line.quotedUnitPriceMinor ?? null,
    priceRuleIds: line.price.ruleIds,
  };
}

export function toOrder(order: any, orderLines: any[]) {
  return {
    id: order.id,
    number: order.number,
    dealerId: order.dealerId,
    dealerCode: order.dealerCode,
    status: order.orderStatus as OrderStatus,
    currency: order.currency,
    totalMinor: Number(order.totalMinor),
    creditShortfallMinor: order.creditShortfallMinor === null || order.creditShortfallMinor === undefined ? null : Number(order.creditShortfallMinor),
    allowBackorder: Boolean(order.allowBackorder),
    reference: order.reference ?? null,
    note: order.note ?? null,
    placedBy: order.placedBy,
    submittedAt: order.submittedAt ? new Date(order.submittedAt).toISOString() : null,
    processInstanceKey: order.processInstanceKey ?? null,
    history: orderStateMachine.historyOf(order),
    lines: orderLines.map((l) => ({
      lineNo: l.lineNo,
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      backorderedQuantity: l.backorderedQuantity ?? 0,
      listPriceMinor: Number(l.listPriceMinor),
      unitPriceMinor: Number(l.unitPriceMinor),
      discountBasisPoints: l.discountBasisPoints ?? 0,
      lineTotalMinor: Number(l.lineTotalMinor),
      quotedUnitPriceMinor: l.quotedUnitPriceMinor === null || l.quotedUnitPriceMinor === undefined ? null : Number(l.quotedUnitPriceMinor),
    })),
  };
}
