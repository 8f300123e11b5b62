// The housing provident fund management centre (住房公积金管理中心) as a
// OneThing department, in JavaScript: the port of the Rust department in
// plugins/departments/housing-fund, with the same manifest, rules, problem
// codes and texts, outbound call and approval.
//
// Step `employer-account` (单位住房公积金缴存登记): opens the new employer's
// contribution account. Rules: the credit code is valid and from a Xiamen
// registration authority; the enterprise has at least one employee (an
// employer without staff need not open an account).
//
// The account is opened in the housing fund's system (POST
// {base_url}/employer-accounts, with the step's idempotency key), which
// issues the account number; an employer that has one already (409
// `already-registered`) keeps it, so a re-run answers what the first run
// did. The system's prefix is the configuration value `base_url`; the host
// adds its credential.
//
// The component's entry is src/component.js (`npm run build`), which
// exports this department as the WIT interface `handler`; the unit tests
// import both.

import { Fields, Manifest, Problem, Problems, StepError, StepSpec, approve, config, http, log } from '@onething/sdk';

/** Department id. */
export const DEPARTMENT = 'housing-fund';

/** Step id. */
export const STEP = 'employer-account';

/** The plugin's version (the manifest's; kept equal to package.json's by a test). */
export const VERSION = '1.0.0';

/** Region-code prefix this centre covers (Xiamen). */
export const REGION_PREFIX = '3502';

/** The configuration key holding the housing fund system's prefix (`http://.../housing-fund/v1`). */
export const BASE_URL = 'base_url';

function spec() {
  return new StepSpec(STEP, '单位住房公积金缴存登记', "Employer's housing fund account")
    .reads('enterprise.uscc', '登记缴存单位', 'To register the employer')
    .reads('enterprise.name', '登记缴存单位名称', "To register the employer's name")
    .reads('enterprise.employee_count', '核定缴存职工人数', 'To set how many employees contribute')
    .writes('housing_fund.employer_account_number')
    .timeLimitHours(8);
}

/** Every problem with the fields (a draft's or a request's). @param {Fields} f */
function checkFields(f) {
  const p = new Problems();
  const uscc = p.take(f.issuedUscc('enterprise.uscc'));
  if (uscc !== undefined && !uscc.slice(2, 8).startsWith(REGION_PREFIX)) {
    p.field(
      'enterprise.uscc',
      'not-local',
      '企业登记机关不在本市，请到所在地公积金中心开户',
      'The enterprise was registered outside Xiamen: please open the account with the local housing fund centre',
    );
  }
  p.take(f.requireText('enterprise.name'));
  const count = p.take(f.requireInteger('enterprise.employee_count'));
  if (count !== undefined && count < 1n) {
    p.field(
      'enterprise.employee_count',
      'no-employees',
      '单位暂无职工的，无需办理住房公积金缴存登记',
      'An employer without employees need not open a housing fund account',
    );
  }
  return p;
}

/**
 * Open the employer's account in the housing fund system: the account
 * number it issued, or the one the employer already holds.
 * @param {string} idempotencyKey @param {string} uscc @param {string} name
 */
function openAccount(idempotencyKey, uscc, name) {
  const base = config.requireFor(DEPARTMENT, BASE_URL);
  const response = http
    .postJson(`${base.replace(/\/+$/, '')}/employer-accounts`, { uscc, name })
    .idempotencyKey(idempotencyKey)
    .send();
  const number = response.problemMember('already-registered', 'number');
  if (number !== undefined) {
    log.info('employer had an account already', { step: STEP, number });
    return number;
  }
  return response.errorForStatus().textMember('account_number');
}

/** The department. */
export const HousingFund = {
  describe() {
    return new Manifest(DEPARTMENT, '厦门市住房公积金中心', 'Xiamen Housing Provident Fund Centre', VERSION).step(spec());
  },

  check(draft) {
    return draft.step === STEP ? checkFields(Fields.ofDraft(draft)).toArray() : [Problem.unknownStep(draft.step)];
  },

  prefill() {
    return [];
  },

  handle(request) {
    if (request.step !== STEP) throw StepError.unknownStep(request.step);
    const f = Fields.of(request);
    const uscc = f.text('enterprise.uscc') ?? '';
    const name = f.text('enterprise.name') ?? '';
    return checkFields(f).intoOutcome(() => {
      const account = openAccount(request.idempotencyKey, uscc, name);
      log.info('employer account opened', { step: STEP, application: request.application });
      return approve()
        .field('housing_fund.employer_account_number', account)
        .document('housing-fund-registration', account, '住房公积金单位缴存登记回执', 'Housing fund employer registration receipt')
        .note(
          '请于每月 15 日前为职工汇缴住房公积金，缴存比例 5%–12%',
          "Pay your employees' housing fund contributions by the 15th of each month, at 5% to 12% of wages",
        );
    });
  },
};

/** Typical applications the build runs before its snapshot is taken. */
const SAMPLE = {
  'enterprise.uscc': '91350206MA2Y3K5P9T',
  'enterprise.name': '厦门鹭岛茶业有限公司',
  'enterprise.employee_count': 8,
};

/** The warm-up's samples (see the SDK's `department`). */
export const SAMPLES = [
  [STEP, SAMPLE],
  [STEP, { ...SAMPLE, 'enterprise.employee_count': 0 }],
];
