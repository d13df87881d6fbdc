/** Refusals of the user store; driver-free, so the gateway can recognise them without a store. */

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
