/** POST /api/workflow/oauth/token: access tokens for the embedded Zeebe gateway (public: the client credentials are the check). */
export default {
  routes: [
    {
      method: 'POST',
      path: '/workflow/oauth/token',
      handler: 'api::workflow.oauth-token.issue',
      config: { auth: false, policies: [] },
    },
  ],
};
