/** Routes, with hash history so the hub serves one index.html for every page. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import OverviewView from '../views/OverviewView.vue';

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'overview', component: OverviewView },
  { path: '/hosts/:node', name: 'host', component: () => import('../views/HostView.vue'), props: true },
  { path: '/services/:service', name: 'service', component: () => import('../views/ServiceView.vue'), props: true },
  { path: '/live', name: 'live', component: () => import('../views/LiveView.vue') },
  { path: '/alerts', name: 'alerts', component: () => import('../views/AlertsView.vue') },
  { path: '/logs', name: 'logs', component: () => import('../views/LogsView.vue') },
  { path: '/checks', name: 'checks', component: () => import('../views/ChecksView.vue') },
  { path: '/:rest(.*)*', redirect: '/' },
];

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
