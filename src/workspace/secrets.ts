// Which keys hold secrets. Their values are masked in plans and never kept in undo records.

const SECRET_NAME = /(api[_-]?key|auth[_-]?token|token|secret|password|bearer)/i;

/** `env_key` names an environment variable; it is not itself a secret. */
export function isSecretName(name: string): boolean {
  const last = name.split('.').pop() ?? name;
  return last !== 'env_key' && SECRET_NAME.test(last);
}
