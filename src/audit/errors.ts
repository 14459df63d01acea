import { SwitchyardError } from '../errors.js';

/** A bad filter or command parameter, named in `details.param`. */
export function badParam(param: string, message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_BAD_REQUEST', message, { details: { param } });
}
