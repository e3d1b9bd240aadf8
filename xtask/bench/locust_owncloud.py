"""The seed's locustfile (docs "locust-03-setup-your-system": create the user in on_start,
GET the manual 3 : PUT a file 1, wait 1 s, delete the user in on_stop through a fresh
session), ported from Locust 0.13 to 2.47 with as few changes as possible: HttpLocust is
HttpUser, `task_set` is `tasks`, HttpSession takes the request event and the user.
Credentials are owncloud-sim's defaults (admin/admin).

    locust -f locust_owncloud.py --headless -H http://127.0.0.1:PORT ... User
"""
import uuid

from locust import HttpUser, TaskSet, task, constant
from locust.clients import HttpSession

userNo = 0


class UserBehaviour(TaskSet):
    adminUserName = 'admin'
    davEndpoint = "/remote.php/dav/files/"
    fileName = ''
    userName = ''

    def on_start(self):
        # create user
        global userNo
        self.userName = "locust" + str(userNo)
        userNo = userNo + 1
        self.client.post(
            "/ocs/v2.php/cloud/users",
            {"userid": self.userName, "password": self.userName},
            auth=(self.adminUserName, self.adminUserName)
        )

    @task(3)
    def downloadFile(self):
        self.client.get(
            self.davEndpoint + self.userName + "/ownCloud%20Manual.pdf",
            auth=(self.userName, self.userName)
        )

    @task(1)
    def uploadFile(self):
        if self.fileName == '':
            self.fileName = "/locust-perfomance-test-file" + str(uuid.uuid4()) + ".txt"
        self.client.put(
            self.davEndpoint + self.userName + self.fileName,
            "my data",
            auth=(self.userName, self.userName)
        )

    def on_stop(self):
        self.admin_client = HttpSession(
            base_url=self.client.base_url,
            request_event=self.user.environment.events.request,
            user=self.user,
        )
        self.admin_client.delete(
            "/ocs/v2.php/cloud/users/" + self.userName,
            auth=(self.adminUserName, self.adminUserName)
        )


class User(HttpUser):
    tasks = [UserBehaviour]
    wait_time = constant(1)
