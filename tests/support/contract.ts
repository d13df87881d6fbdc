/**
 * The API contract check: every response a test receives through `ApiClient` is recorded and
 * validated against the server's own `/openapi.json` with an independent JSON Schema validator (Ajv,
 * draft 2020-12 as OpenAPI 3.1 uses). A response whose status, media type or body the document does
 * not describe fails the test that received it (see `contract-hooks.ts`). Routes added later are
 * covered without any change here: whatever the document says is what the response must be.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** One request/response pair as the test saw it. */
export interface Exchange {
  method: string;
  /** Path as requested, query string included. */
  path: string;
  status: number;
  /** The `content-type` header, if any. */
  contentType: string | null;
  /** The body text as received. */
  body: string;
}

type Json = Record<string, unknown>;

interface Operation {
  template: string;
  pattern: RegExp;
  literalSegments: number;
  methods: Json;
}

const JSON_TYPES = new Set(["application/json", "application/problem+json"]);

/** Validates exchanges against one OpenAPI 3.1 document. */
export class ContractValidator {
  readonly #spec: Json;
  readonly #operations: Operation[];
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();
  /** How many responses were validated per `METHOD template status`. */
  readonly covered = new Map<string, number>();

  constructor(spec: Json) {
    this.#spec = spec;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    // The whole document is one schema resource, so `#/components/schemas/Problem` resolves.
    this.#ajv.addSchema(spec, "openapi.json");
    const paths = (spec.paths ?? {}) as Record<string, Json>;
    this.#operations = Object.entries(paths)
      .map(([template, methods]) => ({
        template,
        methods,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
        literalSegments: template.split("/").filter((s) => s && !s.startsWith("{")).length,
      }))
      // `/v1/payments/statements/{channel}` before `/v1/payments/{paymentId}/…`: most literal first.
      .sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** What is wrong with this exchange, or `undefined` if the document describes it. */
  check(x: Exchange): string | undefined {
    const where = `${x.method} ${x.path} → ${x.status}`;
    const pathOnly = x.path.split("?")[0]!;
    const operation = this.#operations.find(
      (o) => o.pattern.test(pathOnly) && o.methods[x.method.toLowerCase()],
    );
    if (!operation) {
      // Not an API route (probes, pages, static files) or not a route at all: only /v1 must be documented.
      if (!pathOnly.startsWith("/v1/") || x.status === 404 || x.status === 405) {
        return x.status >= 400 && pathOnly.startsWith("/v1/") ? this.#checkProblem(where, x) : undefined;
      }
      return `${where}: no operation in /openapi.json for ${x.method} ${pathOnly}`;
    }
    const op = operation.methods[x.method.toLowerCase()] as Json;
    const responses = (op.responses ?? {}) as Record<string, Json>;
    const key = [String(x.status), `${String(x.status)[0]}XX`, "default"].find((k) => responses[k]);
    if (!key) {
      return `${where}: status ${x.status} is not documented for ${x.method} ${operation.template} (documented: ${Object.keys(responses).join(", ")})`;
    }
    this.covered.set(
      `${x.method} ${operation.template} ${x.status}`,
      (this.covered.get(`${x.method} ${operation.template} ${x.status}`) ?? 0) + 1,
    );
    const content = responses[key]!.content as Record<string, Json> | undefined;
    if (!content) {
      return x.body === ""
        ? undefined
        : `${where}: documented without a body, but one was sent: ${x.body.slice(0, 200)}`;
    }
    const mediaType = (x.contentType ?? "").split(";")[0]!.trim().toLowerCase();
    const media = content[mediaType];
    if (!media) {
      return `${where}: content-type ${JSON.stringify(x.contentType)} is not documented (documented: ${Object.keys(content).join(", ")})`;
    }
    const pointer = `#/paths/${pointerToken(operation.template)}/${x.method.toLowerCase()}/responses/${pointerToken(key)}/content/${pointerToken(mediaType)}/schema`;
    return this.#validate(where, pointer, mediaType, x.body);
  }

  #checkProblem(where: string, x: Exchange): string | undefined {
    const mediaType = (x.contentType ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "application/problem+json")
      return `${where}: an error that is not application/problem+json`;
    return this.#validate(where, "#/components/schemas/Problem", mediaType, x.body);
  }

  #validate(where: string, pointer: string, mediaType: string, body: string): string | undefined {
    let value: unknown = body;
    if (JSON_TYPES.has(mediaType)) {
      try {
        value = JSON.parse(body);
      } catch {
        return `${where}: ${mediaType} body is not JSON: ${body.slice(0, 200)}`;
      }
    }
    let validate = this.#compiled.get(pointer);
    if (!validate) {
      validate = this.#ajv.getSchema(`openapi.json${pointer}`);
      if (!validate) return `${where}: cannot resolve ${pointer} in /openapi.json`;
      this.#compiled.set(pointer, validate);
    }
    if (validate(value)) return undefined;
    const errors = (validate.errors ?? [])
      .map((e) => `${e.instancePath || "(body)"} ${e.message}`)
      .join("; ");
    return `${where}: body does not match ${pointer}: ${errors}; body: ${body.slice(0, 300)}`;
  }

  get spec(): Json {
    return this.#spec;
  }
}

/** JSON Pointer escaping of one reference token. */
function pointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The exchanges seen since the last check, and the validator built from the first `/openapi.json`
 * fetched in this process (every node serves the same document: it is built from the route code).
 */
class ContractLog {
  #pending: Exchange[] = [];
  #validator: ContractValidator | undefined;
  #loadSpec: (() => Promise<Json>) | undefined;
  total = 0;

  record(x: Exchange, loadSpec: () => Promise<Json>): void {
    this.#pending.push(x);
    // The latest client's server: the first one's node may have stopped since.
    this.#loadSpec = loadSpec;
    this.total += 1;
  }

  /** Validates and forgets what was recorded; returns the deviations. */
  async drain(): Promise<string[]> {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 0) return [];
    if (!this.#validator) {
      if (!this.#loadSpec) return [];
      this.#validator = new ContractValidator(await this.#loadSpec());
    }
    const validator = this.#validator;
    return pending.flatMap((x) => validator.check(x) ?? []);
  }

  get validator(): ContractValidator | undefined {
    return this.#validator;
  }
}

export const contractLog = new ContractLog();
