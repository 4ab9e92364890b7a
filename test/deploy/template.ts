/**
 * Types and lookups for the CloudFormation template that `serverless package` compiles. Only
 * the shapes the deploy tests read are typed.
 */

export interface Resource {
  readonly Type: string;
  readonly Properties: Readonly<Record<string, unknown>>;
  readonly DependsOn?: unknown;
}

export interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Outputs: Readonly<Record<string, { readonly Value: unknown }>>;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface RoleProperties {
  readonly AssumeRolePolicyDocument: { readonly Statement: readonly { readonly Principal: { readonly Service: string } }[] };
  readonly Policies?: readonly { readonly PolicyDocument: { readonly Statement: readonly Statement[] } }[];
  readonly ManagedPolicyArns?: readonly unknown[];
  readonly PermissionsBoundary?: unknown;
}

export interface AlarmProperties {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly { readonly Name: string; readonly Value: unknown }[];
  readonly Statistic: string;
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData: string;
  readonly AlarmActions: readonly unknown[];
  readonly OKActions: readonly unknown[];
}

export function resource(template: Template, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (found === undefined) {
    throw new Error(`The template has no resource ${logicalId}; it has ${Object.keys(template.Resources).join(', ')}`);
  }
  return found;
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);
}

export function roleProperties(template: Template, logicalId: string): RoleProperties {
  const role = resource(template, logicalId);
  if (role.Type !== 'AWS::IAM::Role') {
    throw new Error(`${logicalId} is a ${role.Type}, not an AWS::IAM::Role`);
  }
  return role.Properties as unknown as RoleProperties;
}

export function statementsOf(role: RoleProperties): Statement[] {
  return (role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
}

export function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : [...statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? [...(statement.Resource as unknown[])] : [statement.Resource];
}

/** Returns the statements of a role that allow the action, matched exactly. */
export function statementsAllowing(role: RoleProperties, action: string): Statement[] {
  return statementsOf(role).filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes(action));
}

/** Returns whether a granted action pattern such as `ecs:*` or `*` covers the action. */
export function actionPatternCovers(pattern: string, action: string): boolean {
  const expression = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return expression.test(action);
}
