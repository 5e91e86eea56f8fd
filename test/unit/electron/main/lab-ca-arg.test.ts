import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caFileFrom } from '../../../../electron/main/lab-ca-arg.ts';

test('the tray takes --ca F, --ca=F, else $DISTRIBUTE_CA', () => {
  assert.equal(caFileFrom(['electron', '.', '--ca', '/etc/lab-ca.pem'], {}), '/etc/lab-ca.pem');
  assert.equal(caFileFrom(['electron', '.', '--ca=/x.pem'], { DISTRIBUTE_CA: '/y.pem' }), '/x.pem');
  assert.equal(caFileFrom(['electron', '.'], { DISTRIBUTE_CA: '/y.pem' }), '/y.pem');
  assert.equal(caFileFrom(['electron', '.', '--ca'], {}), undefined);
  assert.equal(caFileFrom([], { DISTRIBUTE_CA: '' }), undefined);
});
