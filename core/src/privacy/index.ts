export {
  type PrivacyRequest,
  type PrivacyRequestKind,
  type PrivacyRequestStatus,
  type PrivacyRequests,
  privacyRequestsRepository,
} from './privacy-requests.ts';
