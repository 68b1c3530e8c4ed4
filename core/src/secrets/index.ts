export {
  type ConnectorCredentials,
  type ConnectorCredentialsOptions,
  type CredentialInfo,
  type CredentialValues,
  connectorCredentials,
  credentialValues,
} from './connector-credentials.ts';
export { readServerSecret } from './server-secret.ts';
