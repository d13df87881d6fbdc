/**
 * Daily statement files, one format per channel, each a CSV with one header row, written by the
 * simulators and read back by the merchant side for reconciliation. Columns are a faithful subset of
 * each channel's real file, in its order and spelling; failed payments are left out, as channels do.
 */
import { ChannelInputError, type StatementEntry } from "./channel.ts";
import * as w from "./wire.ts";

const CELL = /^[0-9A-Za-z_\-|*@:.]{1,64}$/;

function moneyRows(entries: StatementEntry[]): Array<StatementEntry & { refund: boolean; time: Date }> {
  return entries
    .filter((e) => e.status !== "failed")
    .map((e) => {
      w.assertAmount(e.amount);
      // Cells are never quoted (the channels don't), so an id must not be able to split a row.
      w.assertId(e.paymentId, CELL, "paymentId");
      w.assertId(e.channelTxnId, CELL, "channelTxnId");
      const time = new Date(e.at);
      if (Number.isNaN(time.getTime())) throw new ChannelInputError("at", `not a time: ${e.at}`);
      return { ...e, refund: e.status === "refunded", time };
    });
}

function entry(
  paymentId: string,
  channelTxnId: string,
  amount: number | undefined,
  refund: boolean,
  at: Date | undefined,
  row: string[],
): StatementEntry {
  if (!paymentId || !channelTxnId || !amount || !at) {
    throw new ChannelInputError("statement", `bad statement row: ${row.join(",")}`);
  }
  return { paymentId, channelTxnId, amount, status: refund ? "refunded" : "paid", at: at.toISOString() };
}

const total = (rows: Array<{ amount: number }>) => rows.reduce((sum, r) => sum + r.amount, 0);

const WECHAT_HEADER =
  "交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易类型,交易状态,货币种类,应结订单金额,退款金额";
const WECHAT_SUMMARY = "总交易单数,应结订单总金额,退款总金额";

/**
 * WeChat trade bill. Every cell starts with a backtick (WeChat's guard against spreadsheets mangling
 * long ids); amounts in yuan. Columns: 交易时间 (China time), 公众账号ID, 商户号, 微信订单号
 * (channelTxnId), 商户订单号 (paymentId), 交易类型, 交易状态 (SUCCESS | REFUND), 货币种类,
 * 应结订单金额 (paid), 退款金额 (refunded); then a summary header and row. The bill carries no date.
 */
export function wechatBill(
  date: string,
  entries: StatementEntry[],
  ids: { appId: string; mchId: string },
): string {
  w.assertDay(date);
  const cells = (values: string[]) => values.map((v) => `\`${v}`).join(",");
  const rows = moneyRows(entries);
  const lines = rows.map((e) => {
    const [pay, back] = e.refund ? ["0.00", w.fenToYuan(e.amount)] : [w.fenToYuan(e.amount), "0.00"];
    const state = e.refund ? "REFUND" : "SUCCESS";
    const time = w.formatCst(e.time, "alipay");
    return cells([time, ids.appId, ids.mchId, e.channelTxnId, e.paymentId, "JSAPI", state, "CNY", pay, back]);
  });
  const paid = total(rows.filter((r) => !r.refund));
  const refunded = total(rows.filter((r) => r.refund));
  const summary = cells([String(rows.length), w.fenToYuan(paid), w.fenToYuan(refunded)]);
  return [WECHAT_HEADER, ...lines, WECHAT_SUMMARY, summary, ""].join("\r\n");
}

export function parseWechatBill(text: string): StatementEntry[] {
  const rows = w.csvRows(text).map((r) => r.map((c) => c.replace(/^`/, "")));
  if (rows[0]?.join(",") !== WECHAT_HEADER) throw new ChannelInputError("statement", "not a wechat bill");
  const end = rows.findIndex((r) => r.join(",") === WECHAT_SUMMARY);
  return rows.slice(1, end < 0 ? undefined : end).map((r) => {
    const [time = "", , , txn = "", paymentId = "", , state, , pay = "", back = ""] = r;
    if (state !== "SUCCESS" && state !== "REFUND") throw new ChannelInputError("statement", `state ${state}`);
    const refund = state === "REFUND";
    return entry(paymentId, txn, w.yuanToFen(refund ? back : pay), refund, w.parseCst(time), r);
  });
}

const ALIPAY_HEADER = "支付宝交易号,商户订单号,业务类型,创建时间,完成时间,订单金额（元）,商家实收（元）,备注";

/**
 * Alipay business detail file: `#` comment lines around one header row, amounts in yuan. Columns:
 * 支付宝交易号 (channelTxnId), 商户订单号 (paymentId), 业务类型 (交易 | 退款), 创建时间, 完成时间
 * (China time), 订单金额（元）, 商家实收（元） (negative for refunds), 备注.
 */
export function alipayBill(date: string, entries: StatementEntry[], ids: { appId: string }): string {
  w.assertDay(date);
  const rows = moneyRows(entries);
  const next = new Date(Date.parse(`${date}T00:00:00+08:00`) + 86_400_000);
  const [y, m, d] = date.split("-");
  const end = w.formatCst(next, "alipay").slice(0, 10).split("-");
  const lines = rows.map((e) => {
    const time = w.formatCst(e.time, "alipay");
    const yuan = w.fenToYuan(e.amount);
    return [
      e.channelTxnId,
      e.paymentId,
      e.refund ? "退款" : "交易",
      time,
      time,
      yuan,
      e.refund ? `-${yuan}` : yuan,
      "",
    ].join(",");
  });
  const net = total(rows.filter((r) => !r.refund)) - total(rows.filter((r) => r.refund));
  return [
    "#支付宝业务明细查询",
    `#账号：[${ids.appId}]`,
    `#起始日期：[${y}年${m}月${d}日 00:00:00]   终止日期：[${end[0]}年${end[1]}月${end[2]}日 00:00:00]`,
    "#-----------------------------------------业务明细列表----------------------------------------",
    ALIPAY_HEADER,
    ...lines,
    "#-----------------------------------------业务明细列表结束------------------------------------",
    `#交易合计：${rows.length}笔，商家实收共计：${net < 0 ? "-" : ""}${w.fenToYuan(Math.abs(net))}元`,
    "",
  ].join("\r\n");
}

export function parseAlipayBill(text: string): StatementEntry[] {
  const rows = w.csvRows(text);
  if (rows[0]?.join(",") !== ALIPAY_HEADER) throw new ChannelInputError("statement", "not an alipay bill");
  return rows.slice(1).map((r) => {
    const [txn = "", paymentId = "", kind, , done = "", , received = ""] = r;
    if (kind !== "交易" && kind !== "退款") throw new ChannelInputError("statement", `type ${kind}`);
    const refund = kind === "退款";
    // The sign must agree with the type, or a refund could be read as income.
    if (received.startsWith("-") !== refund) throw new ChannelInputError("statement", `sign of ${received}`);
    return entry(paymentId, txn, w.yuanToFen(received.replace(/^-/, "")), refund, w.parseCst(done), r);
  });
}

const UNIONPAY_HEADER = "txnType,merId,orderId,queryId,txnTime,txnAmt,currencyCode,respCode,settleDate";

/**
 * UnionPay settlement file, in UnionPay's own field names: txnType (01 consume | 04 refund), merId,
 * orderId (paymentId), queryId (channelTxnId; for refunds, the original payment's), txnTime
 * (yyyyMMddHHmmss China time), txnAmt (fen), currencyCode (156 = CNY), respCode, settleDate (MMDD).
 */
export function unionpayFile(date: string, entries: StatementEntry[], ids: { merId: string }): string {
  w.assertDay(date);
  const settleDate = date.slice(5, 7) + date.slice(8, 10);
  const lines = moneyRows(entries).map((e) => {
    const time = w.formatCst(e.time, "unionpay");
    return [
      e.refund ? "04" : "01",
      ids.merId,
      e.paymentId,
      e.channelTxnId,
      time,
      e.amount,
      "156",
      "00",
      settleDate,
    ].join(",");
  });
  return [UNIONPAY_HEADER, ...lines, ""].join("\r\n");
}

export function parseUnionpayFile(text: string): StatementEntry[] {
  const rows = w.csvRows(text);
  if (rows[0]?.join(",") !== UNIONPAY_HEADER) throw new ChannelInputError("statement", "not a unionpay file");
  return rows.slice(1).map((r) => {
    const [txnType, , orderId = "", queryId = "", txnTime = "", txnAmt = "", currency, respCode] = r;
    if ((txnType !== "01" && txnType !== "04") || currency !== "156" || respCode !== "00") {
      throw new ChannelInputError("statement", `unexpected row ${r.join(",")}`);
    }
    return entry(orderId, queryId, w.parseFen(txnAmt), txnType === "04", w.parseCst(txnTime), r);
  });
}
