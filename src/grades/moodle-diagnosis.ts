import { refusedCapability } from './moodle-capabilities.js';
import { MoodleWsError } from './moodle-ws-client.js';

/**
 * Moodle's web service errors in words an LMS admin acts on: what is wrong and where to fix it. Moodle 4.5
 * (webservice/lib.php) checks, in order: the token (`invalidtoken`; expired or IP-restricted: `accessexception`),
 * the account (`wsaccessusersuspended`, ...), `webservice/rest:use` (`accessexception`), whether the function is
 * in the token's service (`accessexception`); then the function checks capabilities (`nopermissions`). With the
 * REST protocol or web services off, webservice/rest/server.php answers HTTP 403 with no body.
 */

const WHERE = {
  tokens: 'Site administration > Server > Web services > Manage tokens',
  services: 'Site administration > Server > Web services > External services',
  protocols: 'Site administration > Server > Web services > Manage protocols',
  features: 'Site administration > General > Advanced features',
  roles: 'Site administration > Users > Permissions > Define roles',
  systemRoles: 'Site administration > Users > Permissions > Assign system roles',
  users: 'Site administration > Users > Accounts > Browse list of users',
  maintenance: 'Site administration > Server > Maintenance mode',
};

export interface MoodleDiagnosis {
  text: string;
  /** The capability to grant, when granting one is the fix. */
  capability?: string;
}

/**
 * What an `accessexception` ("Access control exception") is about. Its message is the same for every cause;
 * only sites with debugging on add the reason (`debuginfo`, and in the message). `unknown` otherwise: the
 * connection test then tells the causes apart by which calls fail.
 */
export type AccessRefusal = 'rest-use' | 'token-expired' | 'ip-restricted' | 'not-in-service' | 'unknown';

export function accessRefusal(err: MoodleWsError): AccessRefusal {
  const said = `${err.message}\n${err.debuginfo ?? ''}`;
  if (/Access to the function \w+\(\) is not allowed/.test(said)) return 'not-in-service';
  if (/missing capability: webservice\/\w+:use/.test(said)) return 'rest-use';
  if (/token expired/i.test(said)) return 'token-expired';
  if (/IP:\S* is not supported/.test(said)) return 'ip-restricted';
  return 'unknown';
}

export interface DiagnosisContext {
  /** Moodle accepted the token and its user on another call: an access refusal is then about the function. */
  authenticated?: boolean;
  /** Why an access refusal happened, when the caller found out (Moodle's message did not say). */
  refusal?: AccessRefusal;
}

export const notInService = (functions: string[], authenticated = true) =>
  `${functions.join(', ')} ${functions.length > 1 ? 'are' : 'is'} not in the token's external service: add ${functions.length > 1 ? 'them' : 'it'} to the service's functions (${WHERE.services})` +
  (authenticated ? '' : '; if listed, the service is disabled or does not authorise this user');

function explainAccess(err: MoodleWsError, context: DiagnosisContext): MoodleDiagnosis {
  const stated = accessRefusal(err);
  const refusal =
    stated !== 'unknown'
      ? stated
      : (context.refusal ?? (context.authenticated ? 'not-in-service' : 'unknown'));
  switch (refusal) {
    case 'rest-use':
      return {
        capability: 'webservice/rest:use',
        text:
          `Moodle refuses every call of this token ("Access control exception"): the token's user lacks webservice/rest:use. Allow it in the user's role and assign the role at the system level (${WHERE.roles}; ${WHERE.systemRoles})` +
          // Without Moodle's debug info a token's IP restriction looks the same.
          (stated === 'unknown'
            ? `. If the role has it, the token's IP restriction excludes this server (${WHERE.tokens})`
            : ''),
      };
    case 'token-expired':
      return {
        text: `The token has expired ("Valid until" passed) and Moodle has deleted it: create a new token (${WHERE.tokens})`,
      };
    case 'ip-restricted':
      return {
        text: `Moodle refuses this server's address: the token's IP restriction does not include it; clear or widen it (${WHERE.tokens})`,
      };
    case 'not-in-service':
      return { text: notInService([err.wsfunction], context.authenticated === true) };
    default:
      return {
        text: `${err.wsfunction}: Moodle refused access ("Access control exception"): the function is not in the token's external service (${WHERE.services}), or the token's user lacks webservice/rest:use; the connection test tells which`,
      };
  }
}

const refusedAccount = (what: string, fix: string) => ({
  text: `Moodle refuses the token's user: ${what}. ${fix}`,
});

/** A Moodle error in words an LMS admin acts on, naming the capability or setting to change. */
export function explainMoodleError(err: unknown, context: DiagnosisContext = {}): MoodleDiagnosis {
  if (!(err instanceof MoodleWsError)) return { text: (err as Error).message };
  const fn = err.wsfunction;
  const http = /^http_(\d+)$/.exec(err.errorcode)?.[1];
  if (http === '403')
    return {
      text: `Moodle answers HTTP 403 at /webservice/rest/server.php, as it does while web services or the REST protocol are off: enable web services (${WHERE.features}) and REST (${WHERE.protocols})`,
    };
  if (http === '404')
    return {
      text: 'No Moodle web service at this address (HTTP 404 for /webservice/rest/server.php): the base URL must be the Moodle site root',
    };
  if (http)
    return { text: `Moodle answered HTTP ${http}: check that the site is up and the base URL is its root` };
  switch (err.errorcode) {
    case 'unreachable':
      return {
        text: `${err.message}: check the base URL and that this server reaches the site (DNS, firewall); a site on a private network needs its host in OUTBOUND_ALLOW_PRIVATE_HOSTS`,
      };
    case 'not_json':
      return {
        text: 'The answer is not Moodle web service JSON (a login page, a proxy or another site?): the base URL must be the Moodle site root',
      };
    case 'invalidtoken':
      return {
        text: `Moodle does not know this token (mistyped, deleted, or expired and removed): create a new one (${WHERE.tokens}) and save it in the LMS connection`,
      };
    case 'accessexception':
      return explainAccess(err, context);
    case 'wsaccessusersuspended':
      return refusedAccount('the account is suspended', `Unsuspend it (${WHERE.users}, edit the user)`);
    case 'wsaccessuserunconfirmed':
      return refusedAccount('the account is not confirmed', `Confirm it (${WHERE.users})`);
    case 'wsaccessuserdeleted':
      return refusedAccount(
        'the account is deleted',
        `Create a service user and a token for it (${WHERE.tokens})`,
      );
    case 'wsaccessusernologin':
      return refusedAccount(
        'its authentication method is "No login"',
        `Set it to "Manual accounts" (${WHERE.users}, edit the user)`,
      );
    case 'wsaccessuserexpired':
      return refusedAccount('its password has expired', `Set a new one (${WHERE.users}, edit the user)`);
    case 'sitemaintenance':
      return { text: `Moodle is in maintenance mode: try again once it is over (${WHERE.maintenance})` };
    case 'nopermissions': {
      const capability = refusedCapability(err);
      return {
        capability,
        text: `${fn}: the web service user lacks the capability ${capability ?? 'named in Moodle\u2019s message'} (Moodle: "${err.message}"): allow it in the user's role (${WHERE.roles})`,
      };
    }
    case 'requireloginerror':
      return {
        capability: 'moodle/course:view',
        text: `${fn}: the web service user cannot enter the course: grant moodle/course:view or enrol the user (Moodle: "${err.message}")`,
      };
    case 'nocriteriaset':
      return { text: `${fn}: the course has no completion criteria` };
    default:
      return { text: `${fn}: ${err.message || err.errorcode}` };
  }
}
