/** Refusals of the user store, in a module without drivers so the gateway can recognise them. */
export class UnknownRoleError extends Error {
  readonly roles: string[];
  constructor(roles: string[]) {
    super(`unknown role(s): ${roles.join(", ")}`);
    this.roles = roles;
  }
}

export class BuiltInRoleError extends Error {
  constructor(name: string) {
    super(`role ${name} is built in and defined by the code; create a custom role instead`);
  }
}

/** A manager that is no user, or the user themself (decision 0036). */
export class InvalidManagerError extends Error {}
