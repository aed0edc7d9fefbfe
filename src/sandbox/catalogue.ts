/**
 * Permission-set catalogue. `permission_sets_scope_type` of a rule is a property of its
 * permission sets (docs/design/scaleway-api.md §8): organization-level sets (IAM, billing, projects management) vs
 * project-level sets (products). The names seen in recordings are included; the rest are
 * well-known Scaleway permission sets so configurations written against the real catalogue load.
 */

export type ScopeType = 'projects' | 'organization' | 'account_root_user';

export interface PermissionSetDef {
  name: string;
  scope_type: ScopeType;
  description: string;
  categories: string[];
}

const org = (name: string, description: string, categories: string[]): PermissionSetDef => ({
  name,
  scope_type: 'organization',
  description,
  categories,
});
const proj = (name: string, description: string, categories: string[]): PermissionSetDef => ({
  name,
  scope_type: 'projects',
  description,
  categories,
});

export const PERMISSION_SETS: readonly PermissionSetDef[] = [
  org('IAMManager', 'Full access to IAM: users, applications, groups, API keys and policies.', ['IAM']),
  org('IAMReadOnly', 'Read access to IAM resources.', ['IAM']),
  org('OrganizationManager', 'Full access to the organization settings.', ['Organization']),
  org('OrganizationReadOnly', 'Read access to the organization settings.', ['Organization']),
  org('ProjectManager', 'Create, update and delete projects.', ['Organization']),
  org('ProjectReadOnly', 'List and read projects.', ['Organization']),
  org('BillingManager', 'Full access to billing, invoices and payment methods.', ['Billing']),
  org('BillingReadOnly', 'Read access to billing and invoices.', ['Billing']),
  org('SupportTicketManager', 'Create and manage support tickets.', ['Support']),
  org('SupportTicketReadOnly', 'Read support tickets.', ['Support']),
  org('AuditTrailReadOnly', 'Read the audit trail events of the organization.', ['Security']),
  org('ContractsManager', 'Manage contracts and commitments.', ['Billing']),
  proj('AllProductsFullAccess', 'Full access to all products of the projects.', ['All products']),
  proj('AllProductsReadOnly', 'Read access to all products of the projects.', ['All products']),
  proj('ObjectStorageFullAccess', 'Full access to Object Storage buckets and objects.', ['Storage']),
  proj('ObjectStorageReadOnly', 'Read access to Object Storage buckets and objects.', ['Storage']),
  proj('ObjectStorageObjectsRead', 'Read objects in Object Storage buckets.', ['Storage']),
  proj('ObjectStorageObjectsWrite', 'Write objects in Object Storage buckets.', ['Storage']),
  proj('ObjectStorageObjectsDelete', 'Delete objects in Object Storage buckets.', ['Storage']),
  proj('ObjectStorageBucketsRead', 'List and read Object Storage buckets.', ['Storage']),
  proj('ObjectStorageBucketsWrite', 'Create and update Object Storage buckets.', ['Storage']),
  proj('ObjectStorageBucketsDelete', 'Delete Object Storage buckets.', ['Storage']),
  proj('BlockStorageFullAccess', 'Full access to Block Storage volumes and snapshots.', ['Storage']),
  proj('BlockStorageReadOnly', 'Read access to Block Storage volumes and snapshots.', ['Storage']),
  proj('ContainerRegistryFullAccess', 'Full access to Container Registry namespaces and images.', [
    'Containers',
  ]),
  proj('ContainerRegistryReadOnly', 'Pull images and read Container Registry namespaces.', ['Containers']),
  proj('KubernetesFullAccess', 'Full access to Kubernetes Kapsule clusters.', ['Containers']),
  proj('KubernetesReadOnly', 'Read access to Kubernetes Kapsule clusters.', ['Containers']),
  proj('KubernetesExternalFullAccess', 'Full access to Kubernetes Kosmos clusters.', ['Containers']),
  proj('InstancesFullAccess', 'Full access to Instances, volumes, snapshots and security groups.', [
    'Compute',
  ]),
  proj('InstancesReadOnly', 'Read access to Instances.', ['Compute']),
  proj('ElasticMetalFullAccess', 'Full access to Elastic Metal servers.', ['Compute']),
  proj('ElasticMetalReadOnly', 'Read access to Elastic Metal servers.', ['Compute']),
  proj('AppleSiliconFullAccess', 'Full access to Apple silicon servers.', ['Compute']),
  proj('FunctionsFullAccess', 'Full access to Serverless Functions.', ['Serverless']),
  proj('FunctionsReadOnly', 'Read access to Serverless Functions.', ['Serverless']),
  proj('ContainersFullAccess', 'Full access to Serverless Containers.', ['Serverless']),
  proj('ContainersReadOnly', 'Read access to Serverless Containers.', ['Serverless']),
  proj('ServerlessJobsFullAccess', 'Full access to Serverless Jobs.', ['Serverless']),
  proj('RelationalDatabasesFullAccess', 'Full access to Managed Databases for PostgreSQL and MySQL.', [
    'Databases',
  ]),
  proj('RelationalDatabasesReadOnly', 'Read access to Managed Databases for PostgreSQL and MySQL.', [
    'Databases',
  ]),
  proj('RedisFullAccess', 'Full access to Managed Databases for Redis.', ['Databases']),
  proj('MongoDBFullAccess', 'Full access to Managed MongoDB.', ['Databases']),
  proj('ServerlessSQLDatabaseFullAccess', 'Full access to Serverless SQL Databases.', ['Databases']),
  proj('VPCFullAccess', 'Full access to VPCs and Private Networks.', ['Network']),
  proj('VPCReadOnly', 'Read access to VPCs and Private Networks.', ['Network']),
  proj('VPCGatewayFullAccess', 'Full access to Public Gateways.', ['Network']),
  proj('VPCGatewayReadOnly', 'Read access to Public Gateways.', ['Network']),
  proj('IPAMFullAccess', 'Full access to IP Address Management.', ['Network']),
  proj('IPAMReadOnly', 'Read access to IP Address Management.', ['Network']),
  proj('LoadBalancersFullAccess', 'Full access to Load Balancers.', ['Network']),
  proj('LoadBalancersReadOnly', 'Read access to Load Balancers.', ['Network']),
  proj('DomainsDNSFullAccess', 'Full access to domains and DNS zones.', ['Network']),
  proj('DomainsDNSReadOnly', 'Read access to domains and DNS zones.', ['Network']),
  proj('EdgeServicesFullAccess', 'Full access to Edge Services.', ['Network']),
  proj('S2SVPNFullAccess', 'Full access to Site-to-Site VPN gateways.', ['Network']),
  proj('SecretManagerFullAccess', 'Full access to Secret Manager.', ['Security']),
  proj('SecretManagerReadOnly', 'Read secret metadata in Secret Manager.', ['Security']),
  proj('SecretManagerSecretAccess', 'Read secret versions in Secret Manager.', ['Security']),
  proj('KeyManagerFullAccess', 'Full access to Key Manager.', ['Security']),
  proj('CockpitFullAccess', 'Full access to Cockpit (metrics, logs, alerts).', ['Observability']),
  proj('CockpitReadOnly', 'Read access to Cockpit.', ['Observability']),
  proj('TransactionalEmailFullAccess', 'Full access to Transactional Email.', ['Communication']),
  proj('MessagingAndQueuingFullAccess', 'Full access to NATS, SQS and SNS.', ['Integration']),
  proj('WebHostingFullAccess', 'Full access to Web Hosting.', ['Web']),
  proj('GenerativeApisFullAccess', 'Full access to Generative APIs.', ['AI']),
  proj('InferenceFullAccess', 'Full access to Managed Inference.', ['AI']),
  proj('DataLabFullAccess', 'Full access to Data Lab.', ['AI']),
];

const BY_NAME = new Map(PERMISSION_SETS.map((p) => [p.name, p]));

export function findPermissionSet(name: string): PermissionSetDef | undefined {
  return BY_NAME.get(name);
}
