// A Lacak session from Node.js: proof that a non-Rust stack can use the API with nothing but
// @grpc/grpc-js and the .proto files of this checkout, loaded at run time (no generated code).
//
// Goals: a team and two members, a quarterly revenue quota split evenly over its months, a raise
// with a reason and its recorded history, the team rollup. Inventory: a product whose cost changes
// mid-year, a list price, and the profitability of a sale valued at the cost in force that day.
// Monitoring: a customer and three October sales ingested in one batch, the team's tracking report
// (attainment against the members' quotas), a refused batch whose field violation names the event
// by index, and the same report read over gRPC-Web — a plain HTTP/1.1 fetch with hand-made frames,
// as a browser sends it — on the same port.
// Errors: an invalid request, whose google.rpc.Status trailer is decoded to BadRequest and ErrorInfo.
//
// Its ids (team "apac", members "citra"/"dewi", SKU "NODE-ROUTER-1", request and external ids
// "node-…") differ from the Python sessions', so both can run against the same server and tenant.
// Every create carries a request_id and every event a fixed external id: running it twice changes
// nothing and passes twice.
//
//     node tests/polyglot/node/scenario.mjs --target 127.0.0.1:50051 --token "$(lacak token ...)"
//
// With the services on addresses of their own, --goals-target, --inventory-target and
// --monitoring-target override --target for each.

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = path.resolve(HERE, '../../../proto');
const RPC_ROOT = path.resolve(HERE, 'rpc');

// ---------------------------------------------------------------------------------------------
// Loading the contract

function loadServices() {
  const definition = protoLoader.loadSync(
    [
      'lacak/goals/v1/goals_service.proto',
      'lacak/inventory/v1/inventory_service.proto',
      'lacak/monitoring/v1/monitoring_service.proto',
    ],
    // google/protobuf/*.proto (timestamp, field_mask) resolve from the copies protobufjs bundles.
    { includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  const lacak = grpc.loadPackageDefinition(definition).lacak;
  return {
    GoalsService: lacak.goals.v1.GoalsService,
    InventoryService: lacak.inventory.v1.InventoryService,
    MonitoringService: lacak.monitoring.v1.MonitoringService,
  };
}

// The monitoring messages as protobufjs types, for the gRPC-Web call that encodes and decodes by hand.
// Imports resolve against proto/, except google/protobuf/*, which protobufjs bundles.
function loadMonitoringTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target));
  return root.loadSync('lacak/monitoring/v1/monitoring_service.proto', { keepCase: true });
}

// google.rpc.Status, BadRequest and ErrorInfo, from the minimal copies in ./rpc; their import of
// google/protobuf/any.proto resolves to the copy protobufjs bundles.
function loadRpcTypes() {
  const files = ['google/rpc/status.proto', 'google/rpc/error_details.proto'].map((f) => path.join(RPC_ROOT, f));
  return new protobuf.Root().loadSync(files, { keepCase: true });
}

// ---------------------------------------------------------------------------------------------
// Calling

/** Promisified unary calls that always carry the bearer token. */
function caller(client, token) {
  return (method, request, { timeoutMs = 30_000 } = {}) =>
    new Promise((resolve, reject) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      client[method](request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
}

const codeName = (code) => Object.keys(grpc.status).find((name) => grpc.status[name] === code) ?? String(code);

/** Waits while the server starts or migrates (UNAVAILABLE), at most `seconds`. */
async function waitUntilReady(probes, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (const probe of probes) {
    for (;;) {
      try {
        await probe();
        break;
      } catch (error) {
        const retryable = error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED;
        if (!retryable || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

/** The google.rpc.Status in a failed call's `grpc-status-details-bin` trailer, details unpacked. */
function richStatus(error, rpcTypes) {
  const [bytes] = error.metadata?.get('grpc-status-details-bin') ?? [];
  if (!bytes) return null;
  const status = rpcTypes.lookupType('google.rpc.Status').decode(bytes);
  const details = status.details.map((any) => {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    const type = rpcTypes.lookupTypeOrEnum(typeName);
    return { typeName, message: type.toObject(type.decode(any.value), { defaults: true }) };
  });
  return { code: status.code, message: status.message, details };
}

// ---------------------------------------------------------------------------------------------
// Values

const usd = (units, nanos = 0) => ({ currency_code: 'USD', units: String(units), nanos });
const usdMeasure = (units) => ({ money: usd(units) });
const amount = (money) => Number(money.units) + money.nanos / 1e9;
const show = (money) =>
  `${amount(money).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${money.currency_code}`;
const showMeasure = (measure) => (measure?.money ? show(measure.money) : measure?.quantity ? measure.quantity.value : '-');
const at = (iso) => ({ seconds: String(Math.floor(Date.parse(iso) / 1000)), nanos: 0 });
const iso = (timestamp) =>
  new Date(Number(timestamp.seconds) * 1000).toISOString().replace('.000Z', `.${String(timestamp.nanos).padStart(9, '0')}Z`);

// ---------------------------------------------------------------------------------------------
// The scenario

async function goalsSession(goals, rpcTypes) {
  const team = (
    await goals('CreateTeam', { team_id: 'apac', team: { display_name: 'APAC' }, request_id: 'node-scenario-team' })
  ).team;
  console.log(`team    ${team.name}  ${team.display_name}`);
  assert.equal(team.name, 'teams/apac');

  const members = [];
  for (const [memberId, displayName] of [['citra', 'Citra Lestari'], ['dewi', 'Dewi Anggraini']]) {
    const member = (
      await goals('CreateMember', {
        member_id: memberId,
        member: { display_name: displayName, team: team.name },
        request_id: `node-scenario-${memberId}`,
      })
    ).member;
    console.log(`member  ${member.name}  ${member.display_name}  in ${member.team}`);
    assert.equal(member.team, team.name);
    members.push(member);
  }

  // A team quota with no seasonal profile: an even split, to the cent.
  const quota = (
    await goals('CreateQuota', {
      quota: { owner: team.name, metric: 'METRIC_REVENUE', period: 'FY2026-Q4', target: usdMeasure(120_000) },
      reason: 'Q4 plan for APAC',
      request_id: 'node-scenario-quota',
    })
  ).quota;
  console.log(`quota   ${quota.name}  ${showMeasure(quota.target)} for ${quota.period} (even split)`);
  for (const month of quota.monthly_targets) console.log(`          ${month.period}  ${showMeasure(month.target)}`);
  // A replayed create (same request_id) answers the same quota as it stands now, so on a second run
  // this is already the raised target; the split at creation is checked below, from the history.
  if (amount(quota.target.money) !== 120_000) console.log('          (replayed: the request_id answers the quota as it stands now)');
  assert.equal(quota.metric, 'METRIC_REVENUE');
  assert.deepEqual(quota.monthly_targets.map((m) => m.period), ['FY2026-M10', 'FY2026-M11', 'FY2026-M12']);
  const third = amount(quota.target.money) / 3;
  assert.deepEqual(quota.monthly_targets.map((m) => amount(m.target.money)), [third, third, third], 'an even split');

  const raised = await goals('UpdateQuota', {
    quota: { name: quota.name, target: usdMeasure(132_000) },
    update_mask: { paths: ['target'] },
    reason: 'Reseller agreement signed in Singapore',
    request_id: 'node-scenario-raise',
  });
  console.log(
    `changed ${showMeasure(raised.quota.target)}; months now ` +
      raised.quota.monthly_targets.map((m) => showMeasure(m.target)).join(', '),
  );
  assert.equal(amount(raised.quota.target.money), 132_000);
  assert.deepEqual(raised.quota.monthly_targets.map((m) => amount(m.target.money)), [44_000, 44_000, 44_000]);

  const history = await goals('ListQuotaChanges', { parent: quota.name });
  console.log('history');
  for (const change of history.changes) {
    console.log(
      `  ${iso(change.change_time)}  ${showMeasure(change.old_target)} -> ${showMeasure(change.new_target)}` +
        `  ${change.source} by ${change.actor}: ${change.reason}`,
    );
  }
  assert.equal(history.changes.length, 2, 'a create and one raise: two recorded changes');
  const [created, raise] = history.changes;
  assert.equal(created.old_target, null, 'the first change has no old target');
  assert.equal(amount(created.new_target.money), 120_000);
  assert.equal(amount(raise.old_target.money), 120_000);
  assert.equal(amount(raise.new_target.money), 132_000);
  assert.equal(raise.reason, 'Reseller agreement signed in Singapore');
  assert.equal(raise.source, 'CHANGE_SOURCE_MANUAL');

  // The target in force when the quota was created: 120,000 split evenly, 40,000 a month.
  const original = await goals('GetQuotaTargetAsOf', { name: quota.name, as_of_time: created.change_time });
  console.log(
    `as of   ${iso(created.change_time)}  ${showMeasure(original.target)}; months ` +
      original.monthly_targets.map((m) => `${m.period} ${showMeasure(m.target)}`).join(', '),
  );
  assert.equal(original.change?.name, created.name);
  assert.equal(amount(original.target.money), 120_000);
  assert.deepEqual(original.monthly_targets.map((m) => amount(m.target.money)), [40_000, 40_000, 40_000]);

  // The members' own quotas, then the team's rollup: gap = team target − members' total.
  for (const [member, units] of [[members[0], 70_000], [members[1], 50_000]]) {
    await goals('CreateQuota', {
      quota: { owner: member.name, metric: 'METRIC_REVENUE', period: 'FY2026-Q4', target: usdMeasure(units) },
      reason: 'Q4 split of the APAC plan',
      request_id: `node-scenario-quota-${member.name.split('/')[1]}`,
    });
  }
  const { rollup } = await goals('GetTeamRollup', { team: team.name, metric: 'METRIC_REVENUE', period: 'FY2026-Q4' });
  console.log(
    `rollup  ${rollup.team} ${rollup.period}: team ${showMeasure(rollup.team_quota?.target)}, ` +
      `${rollup.member_quotas.length} member quotas total ${showMeasure(rollup.members_total)}, ` +
      `gap ${showMeasure(rollup.gap)}`,
  );
  assert.equal(rollup.team_quota?.name, quota.name);
  assert.deepEqual(rollup.member_quotas.map((q) => q.owner).sort(), ['members/citra', 'members/dewi']);
  assert.equal(amount(rollup.members_total.money), 120_000);
  assert.equal(amount(rollup.gap.money), 12_000, 'under-allocated by 12,000');

  // An invalid request: the answer's trailer carries a google.rpc.Status with typed details.
  let rejected;
  try {
    await goals('CreateQuota', { quota: { owner: team.name, metric: 'METRIC_REVENUE', period: 'Q4/2026' } });
  } catch (error) {
    rejected = error;
  }
  assert.ok(rejected, 'an invalid quota was accepted');
  assert.equal(rejected.code, grpc.status.INVALID_ARGUMENT);
  const status = richStatus(rejected, rpcTypes);
  assert.ok(status, 'no grpc-status-details-bin trailer');
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT, 'the Status code matches the call status');
  console.log(`invalid request answered ${codeName(rejected.code)}:`);
  const violations = status.details
    .filter((d) => d.typeName === 'google.rpc.BadRequest')
    .flatMap((d) => d.message.field_violations);
  for (const { field, description } of violations) console.log(`  ${field}: ${description}`);
  const errorInfo = status.details.find((d) => d.typeName === 'google.rpc.ErrorInfo')?.message;
  if (errorInfo) console.log(`  ErrorInfo ${errorInfo.reason} (${errorInfo.domain}) ${JSON.stringify(errorInfo.metadata)}`);
  const fields = violations.map((v) => v.field);
  assert.ok(fields.includes('quota.period'), `no violation on quota.period: ${fields}`);
  assert.ok(fields.includes('quota.target'), `no violation on quota.target: ${fields}`);
  assert.ok(errorInfo, 'no google.rpc.ErrorInfo detail');
  assert.equal(errorInfo.domain, 'goals.lacak.dev');
  assert.ok(errorInfo.reason, 'ErrorInfo without a reason');
}

async function inventorySession(inventory) {
  const sku = 'NODE-ROUTER-1';
  const product = (
    await inventory('CreateProduct', {
      sku,
      product: { display_name: 'Edge router', kind: 'PRODUCT_KIND_PRODUCT', unit_of_measure: 'each' },
      request_id: `node-scenario-${sku}`,
    })
  ).product;
  assert.equal(product.name, `products/${sku}`);

  // Sourcing gets dearer from July: 220.00 a unit until then, 260.00 after.
  const breakdowns = [];
  for (const [effective, sourcing] of [['2026-01-01T00:00:00Z', 200], ['2026-07-01T00:00:00Z', 240]]) {
    const breakdown = (
      await inventory('CreateCostBreakdown', {
        parent: product.name,
        request_id: `node-scenario-${sku}-cost-${effective.slice(0, 10)}`,
        cost_breakdown: {
          sourcing: usd(sourcing),
          shipping: usd(15),
          other: usd(5),
          tax_rate_percent: { value: '11' },
          fee_rate_percent: { value: '2' },
          effective_time: at(effective),
        },
      })
    ).cost_breakdown;
    breakdowns.push(breakdown);
    console.log(`cost    ${breakdown.name}  ${show(breakdown.unit_cost)} from ${effective.slice(0, 10)}`);
  }
  assert.deepEqual(breakdowns.map((b) => amount(b.unit_cost)), [220, 260]);

  const price = (
    await inventory('CreatePrice', {
      parent: product.name,
      request_id: `node-scenario-${sku}-price`,
      price: { list_price: usd(400), effective_time: at('2026-01-01T00:00:00Z') },
    })
  ).price;
  console.log(`price   ${price.name}  ${show(price.list_price)} from 2026-01-01`);

  const march = (
    await inventory('GetProfitability', {
      product: product.name,
      currency_code: 'USD',
      time: at('2026-03-01T00:00:00Z'),
      quantity: { value: '5' },
    })
  ).profitability;
  console.log(
    `sale of 5 x ${sku} on 2026-03-01: unit cost ${show(march.unit_cost)} (${march.cost_breakdown}), ` +
      `net price ${show(march.net_price)}, net margin/unit ${show(march.unit_net_margin)} ` +
      `(${march.net_margin_percent.value}%), total net margin ${show(march.net_margin)}`,
  );
  assert.equal(march.cost_breakdown, breakdowns[0].name, 'March is valued at the January cost');
  assert.equal(amount(march.unit_cost), 220);
  assert.equal(amount(march.net_price), 400);
  // 400 − 220 = 180 gross; tax 11% = 44.00, fees 2% = 8.00: 128.00 net, 32% of the price.
  assert.equal(amount(march.unit_net_margin), 128);
  assert.equal(Number(march.net_margin_percent.value), 32);
  assert.equal(amount(march.net_margin), 640);

  const august = (
    await inventory('GetProfitability', { product: product.name, currency_code: 'USD', time: at('2026-08-01T00:00:00Z') })
  ).profitability;
  console.log(`sale of 1 x ${sku} on 2026-08-01: unit cost ${show(august.unit_cost)} (${august.cost_breakdown})`);
  assert.equal(august.cost_breakdown, breakdowns[1].name, 'August is valued at the July cost');
  assert.equal(amount(august.unit_cost), 260);
}

// ---------------------------------------------------------------------------------------------
// gRPC-Web, as a browser sends it: an HTTP/1.1 POST whose body is length-prefixed frames

/** One message in a gRPC-Web frame: a flags byte (0 = data), a big-endian length, the bytes. */
function grpcWebFrame(message) {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

/** Splits a gRPC-Web response body into its data messages and its trailers (flag 0x80). */
function grpcWebParse(body) {
  const messages = [];
  const trailers = {};
  for (let at = 0; at + 5 <= body.length; ) {
    const flags = body.readUInt8(at);
    const length = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length);
    assert.equal(payload.length, length, 'a truncated gRPC-Web frame');
    if (flags & 0x80) {
      for (const line of payload.toString('latin1').split('\r\n').filter(Boolean)) {
        const colon = line.indexOf(':');
        trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    } else {
      messages.push(payload);
    }
    at += 5 + length;
  }
  return { messages, trailers };
}

/** A unary call over gRPC-Web with fetch; answers the decoded response and the call's status. */
async function grpcWebUnary(target, token, method, requestType, responseType, request) {
  const response = await fetch(`http://${target}/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/grpc-web+proto',
      accept: 'application/grpc-web+proto',
      'x-grpc-web': '1',
      'x-user-agent': 'lacak-node-scenario',
      authorization: `Bearer ${token}`,
    },
    body: grpcWebFrame(requestType.encode(requestType.fromObject(request)).finish()),
  });
  assert.equal(response.status, 200, `gRPC-Web answered HTTP ${response.status}`);
  const { messages, trailers } = grpcWebParse(Buffer.from(await response.arrayBuffer()));
  // A call that fails before any message may carry its status in the headers instead (trailers-only).
  const status = Number(trailers['grpc-status'] ?? response.headers.get('grpc-status'));
  // grpc-message is percent-encoded on the wire.
  const message = decodeURIComponent(trailers['grpc-message'] ?? response.headers.get('grpc-message') ?? '');
  const decoded = messages.map((m) =>
    responseType.toObject(responseType.decode(m), { longs: String, enums: String, defaults: true }),
  );
  return { contentType: response.headers.get('content-type'), status, message, messages: decoded, trailers };
}

// ---------------------------------------------------------------------------------------------
// Monitoring: a few sales of the team, its tracking report, a refused batch, and gRPC-Web

async function monitoringSession(monitoring, rpcTypes, { target, token, types }) {
  const sale = (id, owner, day, quantity, price) => ({
    external_id: `node-ev-${id}`,
    sale: {
      external_id: id,
      owner,
      customer: 'customers/node-kopi-nusantara',
      book_time: at(`2026-10-${day}T03:00:00Z`),
      lines: [{ sku: 'NODE-ROUTER-1', quantity: { value: String(quantity) }, unit_price: usd(price) }],
    },
  });
  const events = [
    {
      external_id: 'node-ev-customer',
      customer: { name: 'customers/node-kopi-nusantara', display_name: 'Kopi Nusantara', segment: 'smb', region: 'apac' },
    },
    sale('node-sale-1', 'members/citra', '05', 50, 400),
    sale('node-sale-2', 'members/citra', '20', 30, 500),
    sale('node-sale-3', 'members/dewi', '12', 25, 400),
  ];
  const ingested = await monitoring('IngestEvents', { events });
  console.log(`ingest  ${events.length} events: ${ingested.applied} applied, ${ingested.duplicates} duplicates`);
  assert.equal(ingested.applied + ingested.duplicates, events.length);
  assert.equal(ingested.awaiting_cost, 0, 'the router has a cost in force in October');

  // Attainment against the members' quotas from goalsSession: 35,000 of 70,000 and 10,000 of 50,000.
  const question = { team: 'teams/apac', period: 'FY2026-Q4', currency_code: 'USD' };
  const { report } = await monitoring('GetTrackingReport', question);
  for (const m of report.members) {
    console.log(`report  #${m.rank} ${m.display_name}  ${show(m.actual)} of ${show(m.target)} = ${m.attainment_percent?.value}%`);
  }
  assert.deepEqual(
    report.members.map((m) => [m.member, amount(m.actual), Number(m.attainment_percent?.value)]),
    [['members/citra', 35_000, 50], ['members/dewi', 10_000, 20]],
  );

  // One bad event refuses the batch; the field violations name it by index.
  let rejected;
  try {
    await monitoring('IngestEvents', {
      events: [events[0], { ...sale('node-sale-bad', 'members/dewi', '13', -1, 400), external_id: 'node-ev-bad' }],
    });
  } catch (error) {
    rejected = error;
  }
  assert.ok(rejected, 'a sale with a negative quantity was accepted');
  const status = richStatus(rejected, rpcTypes);
  assert.ok(status, 'no grpc-status-details-bin trailer');
  const violations = status.details
    .filter((d) => d.typeName === 'google.rpc.BadRequest')
    .flatMap((d) => d.message.field_violations);
  console.log(`bad batch answered ${codeName(rejected.code)}: ` + violations.map((v) => `${v.field}: ${v.description}`).join('; '));
  assert.equal(rejected.code, grpc.status.INVALID_ARGUMENT);
  assert.deepEqual(violations.map((v) => v.field), ['events[1].sale.lines[0].quantity']);
  assert.equal(status.details.find((d) => d.typeName === 'google.rpc.ErrorInfo')?.message.domain, 'monitoring.lacak.dev');

  // The same report read the way a browser would, over gRPC-Web on the same port.
  const web = await grpcWebUnary(
    target,
    token,
    'lacak.monitoring.v1.MonitoringService/GetTrackingReport',
    types.lookupType('lacak.monitoring.v1.GetTrackingReportRequest'),
    types.lookupType('lacak.monitoring.v1.GetTrackingReportResponse'),
    question,
  );
  console.log(
    `grpc-web ${web.contentType}: grpc-status ${web.status}, ${web.messages.length} message(s), ` +
      `attainment ${web.messages[0]?.report.members.map((m) => `${m.display_name} ${m.attainment_percent?.value}%`).join(', ')}`,
  );
  assert.ok(web.contentType?.startsWith('application/grpc-web'), web.contentType);
  assert.equal(web.status, grpc.status.OK, `gRPC-Web call failed: ${web.message}`);
  assert.equal(web.messages.length, 1);
  assert.deepEqual(
    web.messages[0].report.members.map((m) => m.attainment_percent?.value),
    report.members.map((m) => m.attainment_percent?.value),
    'gRPC-Web and gRPC answer the same report',
  );

  // Over gRPC-Web, a refused call answers HTTP 200 with its status in a trailer or in the headers.
  const denied = await grpcWebUnary(
    target,
    'not-a-token',
    'lacak.monitoring.v1.MonitoringService/GetTrackingReport',
    types.lookupType('lacak.monitoring.v1.GetTrackingReportRequest'),
    types.lookupType('lacak.monitoring.v1.GetTrackingReportResponse'),
    question,
  );
  console.log(`grpc-web without a valid token: grpc-status ${codeName(denied.status)} (${denied.message})`);
  assert.equal(denied.status, grpc.status.UNAUTHENTICATED);
}

async function main() {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      // Where each service is when they are not behind one address (a deployment without a gateway).
      'goals-target': { type: 'string' },
      'inventory-target': { type: 'string' },
      'monitoring-target': { type: 'string' },
    },
    strict: true,
  });
  const target = values.target ?? process.env.LACAK_TARGET ?? '127.0.0.1:50051';
  const token = values.token ?? process.env.LACAK_TOKEN;
  if (!token) {
    console.error('pass --token (from `lacak token --tenant demo --role admin`) or set LACAK_TOKEN');
    process.exit(2);
  }

  const { GoalsService, InventoryService, MonitoringService } = loadServices();
  const rpcTypes = loadRpcTypes();
  const types = loadMonitoringTypes();
  // Reconnect quickly while the server starts, instead of grpc-js's default backoff of up to 2 minutes.
  const options = { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1000 };
  const credentials = grpc.credentials.createInsecure();
  const targets = {
    goals: values['goals-target'] ?? target,
    inventory: values['inventory-target'] ?? target,
    monitoring: values['monitoring-target'] ?? target,
  };
  const goalsClient = new GoalsService(targets.goals, credentials, options);
  const inventoryClient = new InventoryService(targets.inventory, credentials, options);
  const monitoringClient = new MonitoringService(targets.monitoring, credentials, options);
  const goals = caller(goalsClient, token);
  const inventory = caller(inventoryClient, token);
  const monitoring = caller(monitoringClient, token);

  try {
    const where = new Set(Object.values(targets));
    console.log(`node scenario against ${where.size === 1 ? target : JSON.stringify(targets)}`);
    await waitUntilReady([
      () => goals('GetFiscalCalendar', {}, { timeoutMs: 5_000 }),
      () => inventory('GetInventorySettings', {}, { timeoutMs: 5_000 }),
      () => monitoring('ListCustomers', { page_size: 1 }, { timeoutMs: 5_000 }),
    ]);
    await goalsSession(goals, rpcTypes);
    await inventorySession(inventory);
    await monitoringSession(monitoring, rpcTypes, { target: targets.monitoring, token, types });
  } finally {
    goalsClient.close();
    inventoryClient.close();
    monitoringClient.close();
  }
  console.log('node scenario: 1 passed, 0 failed');
}

main().catch((error) => {
  const where = error.code !== undefined && error.details !== undefined ? ` (gRPC ${codeName(error.code)}: ${error.details})` : '';
  console.error(`FAILED${where}:`, error.stack ?? error);
  console.log('node scenario: 0 passed, 1 failed');
  process.exitCode = 1;
});
